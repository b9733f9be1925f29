using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace FusedLayers.Generator.Helpers;

/// <summary>Writes user identifiers back as C# source: a name that is a keyword needs its <c>@</c>.</summary>
internal static class Identifiers
{
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.VarKeyword
            ? "@" + name
            : name;

    /// <summary>
    /// Prefixes of every private member the generator adds (<c>_flK0Y</c>, <c>s_flInputShape</c>, <c>_flBackward</c>):
    /// user members may not start with them (FL0009), so generated private members never collide.
    /// </summary>
    public static readonly string[] ReservedPrefixes = ["_fl", "s_fl"];

    /// <summary>The private field behind a layer property; no other generated member starts with <c>_flLayer</c>.</summary>
    public static string LayerField(string layerName) => "_flLayer" + layerName;

    /// <summary>A dotted namespace with every segment escaped.</summary>
    public static string EscapeNamespace(string name) => string.Join(".", name.Split('.').Select(Escape));
}
