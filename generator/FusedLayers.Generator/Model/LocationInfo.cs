using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace FusedLayers.Generator.Model;

/// <summary>
/// A value-equatable copy of a <see cref="Location"/> (file path, span, line span), so pipeline
/// models never hold syntax trees (after AL's LocationInfo).
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());
}
