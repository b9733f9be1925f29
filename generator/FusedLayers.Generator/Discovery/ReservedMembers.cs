using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Discovery;

/// <summary>
/// Finds the user's members that would collide with what the generator adds to a model class (FL0009):
/// the public members of <c>IFusedModel</c> and the mode switch, and the reserved private prefixes.
/// A user overload with other parameter types does not collide and is allowed.
/// </summary>
internal static class ReservedMembers
{
    private const string FloatSpan = "global::System.Span<float>";
    private const string FloatReadOnlySpan = "global::System.ReadOnlySpan<float>";
    private const string Tensor = "global::FusedLayers.Tensor";

    /// <summary>Generated properties and constants: any user member with one of these names collides.</summary>
    private static readonly HashSet<string> Properties =
    [
        "InputSampleLength", "OutputSampleLength", "InputShape", "OutputShape", "InputLength", "OutputLength",
        "Execution", "Training", "Parameters", "Buffers",
    ];

    /// <summary>Generated methods with their parameter types (fully qualified).</summary>
    private static readonly (string Name, string[] Parameters)[] Methods =
    [
        ("Train", ["bool"]),
        ("Eval", []),
        ("Forward", [FloatReadOnlySpan, FloatSpan]),
        ("Forward", [Tensor]),
        ("Backward", [FloatReadOnlySpan, FloatSpan, "bool"]),
        ("Backward", [FloatReadOnlySpan, "bool"]),
        ("Backward", [Tensor, "bool"]),
        ("ZeroGrad", []),
        ("ResetParameters", ["int"]),
        ("Summary", []),
    ];

    private static readonly HashSet<string> MethodNames = [.. Methods.Select(m => m.Name)];

    /// <summary>The user's members of <paramref name="type"/> that collide, in declaration order.</summary>
    public static List<MemberCollision> Find(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var found = new List<MemberCollision>();
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member.IsImplicitlyDeclared || member.Locations.Length == 0 || !member.Locations[0].IsInSource ||
                member is IMethodSymbol { MethodKind: not MethodKind.Ordinary })
            {
                continue;
            }

            string? reserved = Collision(member);
            if (reserved is not null)
            {
                found.Add(new MemberCollision(member.Name, reserved, LocationInfo.From(member.Locations[0])));
            }
        }

        foreach (INamedTypeSymbol nested in type.GetTypeMembers())
        {
            string? reserved = Properties.Contains(nested.Name) || MethodNames.Contains(nested.Name) ? "the generated member '" + nested.Name + "'" : Prefixed(nested.Name);
            if (reserved is not null && nested.Locations.Length > 0)
            {
                found.Add(new MemberCollision(nested.Name, reserved, LocationInfo.From(nested.Locations[0])));
            }
        }

        return found.OrderBy(c => c.Location?.TextSpan.Start ?? 0).ToList();
    }

    private static string? Collision(ISymbol member)
    {
        if (Prefixed(member.Name) is { } prefixed)
        {
            return prefixed;
        }

        if (member is IMethodSymbol method)
        {
            if (Properties.Contains(method.Name))
            {
                return "the generated property '" + method.Name + "'";
            }

            string[] parameters = [.. method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat))];
            return Methods.Any(m => m.Name == method.Name && m.Parameters.SequenceEqual(parameters))
                ? $"the generated method '{method.Name}({string.Join(", ", parameters.Select(p => p.Replace("global::", "")))})'"
                : null;
        }

        return Properties.Contains(member.Name) ? "the generated property '" + member.Name + "'"
            : MethodNames.Contains(member.Name) ? "the generated method '" + member.Name + "'"
            : null;
    }

    private static string? Prefixed(string name)
    {
        foreach (string prefix in Identifiers.ReservedPrefixes)
        {
            if (name.StartsWith(prefix, System.StringComparison.Ordinal))
            {
                return "the prefix '" + prefix + "' reserved for the generator's private members";
            }
        }

        return null;
    }
}

/// <summary>A user member whose name the generated model needs.</summary>
/// <param name="Name">The user's member name.</param>
/// <param name="Reserved">What it collides with, as a phrase.</param>
/// <param name="Location">The member's identifier.</param>
internal sealed record MemberCollision(string Name, string Reserved, LocationInfo? Location);
