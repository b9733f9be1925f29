using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FusedLayers.Generator.Discovery;

/// <summary>
/// Discovery of <c>[FusedBlock]</c> classes for their own generated part (the layer properties' bodies and the
/// constructor a model calls). The block's layers themselves are read at each use (<see cref="BlockExpansion"/>).
/// </summary>
internal static class BlockDiscovery
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static bool IsCandidate(SyntaxNode node, CancellationToken cancellationToken) => node is ClassDeclarationSyntax or RecordDeclarationSyntax;

    public static BlockClassSpec Discover(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        bool isPartial = type.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword));
        string problem = !isPartial ? "not partial"
            : type.IsRecord ? "a record"
            : type.ContainingType is not null ? "nested in another type"
            : type.TypeParameters.Length > 0 ? "generic"
            : type.IsStatic ? "static"
            : type.IsFileLocal ? "file-local"
            : "";

        var members = new List<(int Order, BlockMemberSpec Member)>();
        foreach (IPropertySymbol property in type.GetMembers().OfType<IPropertySymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool isMember = property.GetAttributes().Any(a => ModelDiscovery.IsLayerAttribute(a) || BlockExpansion.IsBlockUse(a));
            if (!isMember || property.DeclaringSyntaxReferences.Length == 0 ||
                property.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not PropertyDeclarationSyntax declaration)
            {
                continue;
            }

            bool implementable = declaration.Modifiers.Any(SyntaxKind.PartialKeyword) && !property.IsStatic && property.SetMethod is null &&
                                 declaration.ExpressionBody is null && property.PartialImplementationPart is null &&
                                 !(declaration.AccessorList?.Accessors.Any(a => a.Body is not null || a.ExpressionBody is not null) ?? false);
            int file = type.DeclaringSyntaxReferences.ToList().FindIndex(r => r.SyntaxTree == declaration.SyntaxTree && r.Span.Contains(declaration.Span));
            members.Add(((file * 100_000_000) + declaration.SpanStart, new BlockMemberSpec(
                property.Name,
                property.Type.ToDisplayString(TypeFormat),
                string.Join(" ", declaration.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text)),
                implementable)));
        }

        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        return new BlockClassSpec
        {
            Namespace = ns,
            ClassName = type.Name,
            MetadataName = ns.Length == 0 ? type.MetadataName : ns + "." + type.MetadataName,
            Problem = problem,
            ClassLocation = LocationInfo.From(syntax.Identifier.GetLocation()),
            Members = members.OrderBy(m => m.Order).Select(m => m.Member).ToEquatableArray(),
        };
    }
}
