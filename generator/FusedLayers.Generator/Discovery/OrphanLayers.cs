using System.Linq;
using System.Threading;
using FusedLayers.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FusedLayers.Generator.Discovery;

/// <summary>
/// Classes that declare layer properties but forgot <c>[FusedModel]</c> (FL0010). Without this the user
/// sees only CS9248 ("partial property must have an implementation part") on every layer.
/// </summary>
internal static class OrphanLayers
{
    /// <summary>
    /// Cheap syntax filter: a property with an attribute named like a layer attribute, in a class none of whose
    /// attributes is named <c>FusedModel</c> in this declaration. The semantic check follows in <see cref="Discover"/>.
    /// </summary>
    public static bool IsCandidate(SyntaxNode node, CancellationToken cancellationToken) =>
        node is PropertyDeclarationSyntax { AttributeLists.Count: > 0, Parent: TypeDeclarationSyntax owner } property &&
        property.AttributeLists.SelectMany(l => l.Attributes).Any(a => ModelDiscovery.IsLayerAttributeName(SimpleName(a.Name))) &&
        !owner.AttributeLists.SelectMany(l => l.Attributes).Any(a => SimpleName(a.Name) is "FusedModel" or "FusedModelAttribute" or "FusedBlock" or "FusedBlockAttribute");

    /// <summary>
    /// The class's spec when <paramref name="context"/>'s property is its first layer property and the class has no
    /// <c>[FusedModel]</c> on any declaration; null otherwise (one spec per class).
    /// </summary>
    public static ModelSpec? Discover(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        var property = (PropertyDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(property, cancellationToken) is not IPropertySymbol symbol ||
            symbol.ContainingType is not { } type ||
            !symbol.GetAttributes().Any(ModelDiscovery.IsLayerAttribute) ||
            type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ModelDiscovery.ModelAttributeName) ||
            BlockExpansion.IsBlockClass(type))
        {
            return null;
        }

        IPropertySymbol? first = type.GetMembers().OfType<IPropertySymbol>()
            .Where(p => p.GetAttributes().Any(ModelDiscovery.IsLayerAttribute) && p.Locations.Length > 0)
            .OrderBy(p => p.Locations[0].SourceTree?.FilePath, System.StringComparer.Ordinal)
            .ThenBy(p => p.Locations[0].SourceSpan.Start)
            .FirstOrDefault();
        if (!SymbolEqualityComparer.Default.Equals(first, symbol))
        {
            return null;
        }

        return ModelDiscovery.DiscoverType(type, (TypeDeclarationSyntax)property.Parent!, null, cancellationToken);
    }

    private static string SimpleName(NameSyntax name) => name switch
    {
        QualifiedNameSyntax qualified => qualified.Right.Identifier.Text,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.Text,
        SimpleNameSyntax simple => simple.Identifier.Text,
        _ => "",
    };
}
