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

    /// <summary>A dotted namespace with every segment escaped.</summary>
    public static string EscapeNamespace(string name) => string.Join(".", name.Split('.').Select(Escape));
}
