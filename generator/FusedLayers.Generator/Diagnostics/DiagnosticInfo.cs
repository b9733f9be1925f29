using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Diagnostics;

/// <summary>
/// A value-equatable diagnostic: descriptor ID, location and string arguments (after CS's
/// DiagnosticInfo). Materialised into a <see cref="Diagnostic"/> only at the reporting step.
/// </summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments)
    {
        var texts = new string[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            texts[i] = System.Convert.ToString(arguments[i], System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }

        return new DiagnosticInfo(descriptor.Id, location, texts.ToEquatableArray());
    }

    /// <summary>
    /// Materialises the diagnostic. When the compilation still has the syntax tree the location points
    /// into, the location is a real source location (so <c>#pragma warning disable</c> and editors work);
    /// otherwise it falls back to a file location.
    /// </summary>
    public Diagnostic ToDiagnostic(Compilation? compilation = null)
    {
        DiagnosticDescriptor descriptor = DiagnosticDescriptors.ById(Id);
        var args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Arguments[i];
        }

        Microsoft.CodeAnalysis.Location location = Microsoft.CodeAnalysis.Location.None;
        if (Location is not null)
        {
            SyntaxTree? tree = null;
            foreach (SyntaxTree candidate in compilation?.SyntaxTrees ?? System.Linq.Enumerable.Empty<SyntaxTree>())
            {
                if (candidate.FilePath == Location.FilePath)
                {
                    tree = candidate;
                    break;
                }
            }

            location = tree is not null && Location.TextSpan.End <= tree.Length
                ? Microsoft.CodeAnalysis.Location.Create(tree, Location.TextSpan)
                : Location.ToLocation();
        }

        return Diagnostic.Create(descriptor, location, args);
    }
}
