using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FusedLayers.Generator.Discovery;

/// <summary>
/// Stage 1: copies what the generator needs out of the <c>[FusedModel]</c> class symbol into a
/// <see cref="ModelSpec"/>. Nothing Roslyn-specific survives this stage.
/// </summary>
internal static class ModelDiscovery
{
    public const string ModelAttributeName = "FusedLayers.FusedModelAttribute";

    private const string AttributeNamespace = "FusedLayers";

    /// <summary>Fully qualified, keeping a nullable annotation (<c>Conv2dLayer?</c> is not a layer type: FL0006).</summary>
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly Dictionary<string, LayerKind> LayerAttributes = new()
    {
        ["Conv2dAttribute"] = LayerKind.Conv2d,
        ["LinearAttribute"] = LayerKind.Linear,
        ["BatchNorm1dAttribute"] = LayerKind.BatchNorm1d,
        ["BatchNorm2dAttribute"] = LayerKind.BatchNorm2d,
        ["ReLUAttribute"] = LayerKind.ReLU,
        ["FlattenAttribute"] = LayerKind.Flatten,
        ["LeakyReLUAttribute"] = LayerKind.LeakyReLU,
        ["ReLU6Attribute"] = LayerKind.ReLU6,
        ["SiLUAttribute"] = LayerKind.SiLU,
        ["GELUAttribute"] = LayerKind.GELU,
        ["SigmoidAttribute"] = LayerKind.Sigmoid,
        ["TanhAttribute"] = LayerKind.Tanh,
        ["HardswishAttribute"] = LayerKind.Hardswish,
        ["MishAttribute"] = LayerKind.Mish,
        ["MaxPool2dAttribute"] = LayerKind.MaxPool2d,
        ["AvgPool2dAttribute"] = LayerKind.AvgPool2d,
        ["AdaptiveAvgPool2dAttribute"] = LayerKind.AdaptiveAvgPool2d,
        ["DropoutAttribute"] = LayerKind.Dropout,
        ["ResidualAttribute"] = LayerKind.Residual,
        ["LayerNormAttribute"] = LayerKind.LayerNorm,
        ["GroupNormAttribute"] = LayerKind.GroupNorm,
        ["InstanceNorm1dAttribute"] = LayerKind.InstanceNorm1d,
        ["InstanceNorm2dAttribute"] = LayerKind.InstanceNorm2d,
        ["BatchRenorm1dAttribute"] = LayerKind.BatchRenorm1d,
        ["BatchRenorm2dAttribute"] = LayerKind.BatchRenorm2d,
    };

    /// <summary>Cheap syntax filter: classes and record classes carry <c>[FusedModel]</c> (records get FL0002).</summary>
    public static bool IsCandidate(SyntaxNode node, CancellationToken cancellationToken) =>
        node is ClassDeclarationSyntax or RecordDeclarationSyntax;

    public static ModelSpec Discover(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            return DiscoverType((INamedTypeSymbol)context.TargetSymbol, (TypeDeclarationSyntax)context.TargetNode, context.Attributes[0], cancellationToken);
        }
#pragma warning disable CA1031 // The generator must never throw: the failure becomes FL0099 in validation.
        catch (System.Exception exception) when (exception is not System.OperationCanceledException)
#pragma warning restore CA1031
        {
            return new ModelSpec
            {
                ClassName = context.TargetSymbol.Name,
                MetadataName = context.TargetSymbol.Name,
                ClassLocation = LocationInfo.From(context.TargetNode is TypeDeclarationSyntax t ? t.Identifier.GetLocation() : context.TargetNode.GetLocation()),
                DiscoveryFailure = exception.GetType().Name + ": " + exception.Message,
            };
        }
    }

    /// <summary>Layer attributes whose (syntactic) name marks a property as a layer, e.g. <c>ReLU</c> and <c>ReLUAttribute</c>.</summary>
    public static bool IsLayerAttributeName(string name) =>
        LayerAttributes.ContainsKey(name) || LayerAttributes.ContainsKey(name + "Attribute");

    /// <summary>True when <paramref name="attribute"/> is one of FusedLayers' layer attributes.</summary>
    public static bool IsLayerAttribute(AttributeData attribute) =>
        attribute.AttributeClass is { } c && c.ContainingNamespace.ToDisplayString() == AttributeNamespace && LayerAttributes.ContainsKey(c.Name);

    /// <summary>
    /// The spec of a class; <paramref name="modelAttribute"/> is null for a class that declares layers without
    /// <c>[FusedModel]</c> (FL0010: it then gets only throwing stubs).
    /// </summary>
    public static ModelSpec DiscoverType(INamedTypeSymbol type, TypeDeclarationSyntax classSyntax, AttributeData? modelAttribute, CancellationToken cancellationToken)
    {

        ImmutableArray<SyntaxReference> declarations = type.DeclaringSyntaxReferences;
        bool isPartial = declarations.All(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax c &&
                                               c.Modifiers.Any(SyntaxKind.PartialKeyword));

        (bool specified, EquatableArray<int> inputShape) = modelAttribute is null ? (false, EquatableArray<int>.Empty) : ReadInputShape(modelAttribute);
        cancellationToken.ThrowIfCancellationRequested();

        var blocks = new BlockExpansion.Context();
        List<LayerSpec> layers = BlockExpansion.ResolveBlockInputs(ReadMembers(type, blocks, "", "", new List<string>(), cancellationToken));

        return new ModelSpec
        {
            Namespace = NamespaceName(type.ContainingNamespace),
            ClassName = type.Name,
            MetadataName = MetadataName(type),
            IsPartial = isPartial,
            IsNested = type.ContainingType is not null,
            IsGeneric = type.TypeParameters.Length > 0,
            IsStatic = type.IsStatic,
            IsRecord = type.IsRecord,
            TypeKeyword = classSyntax is RecordDeclarationSyntax record
                ? (record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record")
                : "class",
            IsFileLocal = type.IsFileLocal,
            HasBaseClass = type.BaseType is { SpecialType: not SpecialType.System_Object },
            TypeParameterList = type.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", type.TypeParameters.Select(p => Identifiers.Escape(p.Name))) + ">",
            ContainingTypes = ContainingTypes(type, cancellationToken).ToEquatableArray(),
            Collisions = ReservedMembers.Find(type, cancellationToken).ToEquatableArray(),
            IsDuplicate = modelAttribute is not null && !IsFirstAnnotatedDeclaration(type, classSyntax, cancellationToken),
            MissingModelAttribute = modelAttribute is null,
            HasUserConstructors = type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared),
            HasUserToString = type.GetMembers("ToString").OfType<IMethodSymbol>().Any(m => m.Parameters.Length == 0 && !m.IsImplicitlyDeclared),
            InputShape = inputShape,
            InputShapeSpecified = specified,
            ModelAttributeLocation = LocationInfo.From(modelAttribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken)),
            ClassLocation = LocationInfo.From(classSyntax.Identifier.GetLocation()),
            Layers = layers.ToEquatableArray(),
            BlockUses = blocks.Uses.ToEquatableArray(),
        };
    }

    /// <summary>
    /// <c>[FusedModel]</c> on two partial declarations (the compiler's CS0579) reaches the generator twice;
    /// only the first annotated declaration produces the model, so the hint name stays unique.
    /// </summary>
    private static bool IsFirstAnnotatedDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax target, CancellationToken cancellationToken)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == ModelAttributeName && attribute.ApplicationSyntaxReference is { } reference)
            {
                return reference.SyntaxTree == target.SyntaxTree && target.Span.Contains(reference.Span);
            }
        }

        return true;
    }

    /// <summary>
    /// The metadata name (<c>event.Models.Outer+Net`1</c>: identifiers without their <c>@</c>, a file-local
    /// type without its mangled prefix), the base of the hint name.
    /// </summary>
    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.IsFileLocal ? type.Name : type.MetadataName;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }

        string ns = NamespaceName(type.ContainingNamespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>The namespace as metadata spells it (<c>event.Models</c>, no <c>@</c>); empty for the global namespace.</summary>
    private static string NamespaceName(INamespaceSymbol ns)
    {
        var parts = new List<string>();
        for (INamespaceSymbol? current = ns; current is { IsGlobalNamespace: false }; current = current.ContainingNamespace)
        {
            parts.Add(current.MetadataName);
        }

        parts.Reverse();
        return string.Join(".", parts);
    }

    /// <summary>Declarations of the containing types, outermost first; empty when one of them is not partial.</summary>
    private static List<string> ContainingTypes(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            bool partial = outer.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial || outer.DeclaringSyntaxReferences.Length == 0)
            {
                return new List<string>();
            }

            var syntax = (TypeDeclarationSyntax)outer.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            string keyword = syntax is RecordDeclarationSyntax record
                ? "record" + (record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? " struct" : "")
                : syntax.Keyword.Text;
            string parameters = outer.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", outer.TypeParameters.Select(p => Identifiers.Escape(p.Name))) + ">";
            result.Add((outer.IsStatic ? "static " : "") + "partial " + keyword + " " + Identifiers.Escape(outer.Name) + parameters);
        }

        result.Reverse();
        return result;
    }

    private static (bool Specified, EquatableArray<int> Shape) ReadInputShape(AttributeData attribute)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == "InputShape" && argument.Value.Kind == TypedConstantKind.Array && !argument.Value.IsNull)
            {
                return (true, argument.Value.Values.Select(v => v.Value is int i ? i : 0).ToEquatableArray());
            }
        }

        return (false, EquatableArray<int>.Empty);
    }

    /// <summary>
    /// The layers of a model or block class in declaration order, block uses expanded in place (their uses go to
    /// <paramref name="context"/>); <paramref name="members"/> gets the flat names of the class's own members.
    /// </summary>
    internal static List<LayerSpec> ReadMembers(
        INamedTypeSymbol type, BlockExpansion.Context context, string parentFlat, string parentPath, List<string> members, CancellationToken cancellationToken)
    {
        ImmutableArray<SyntaxReference> declarations = type.DeclaringSyntaxReferences;
        var found = new List<(int Declaration, int Position, string Member, List<LayerSpec> Layers)>();
        foreach (IPropertySymbol property in type.GetMembers().OfType<IPropertySymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var layerAttributes = property.GetAttributes().Where(IsLayerAttribute).ToList();
            AttributeData? use = layerAttributes.Count == 0 ? property.GetAttributes().FirstOrDefault(BlockExpansion.IsBlockUse) : null;
            if ((layerAttributes.Count == 0 && use is null) || property.DeclaringSyntaxReferences.Length == 0)
            {
                continue;
            }

            // The definition part (the user's), not a generated implementation part.
            SyntaxReference reference = property.DeclaringSyntaxReferences[0];
            if (reference.GetSyntax(cancellationToken) is not PropertyDeclarationSyntax syntax)
            {
                continue;
            }

            int declaration = DeclarationIndex(declarations, syntax, cancellationToken);
            string flat = parentFlat.Length == 0 ? property.Name : parentFlat + "_" + property.Name;
            if (use is not null)
            {
                found.Add((declaration, syntax.SpanStart, flat, BlockExpansion.Expand(property, syntax, use, parentFlat, parentPath, context, TypeFormat, cancellationToken)));
                continue;
            }

            LayerSpec layer = ReadLayer(property, syntax, layerAttributes, cancellationToken) with
            {
                Name = flat,
                LocalName = property.Name,
                BlockPath = parentPath,
                StateName = BlockExpansion.StateName(property) ?? (parentFlat.Length == 0 ? "" : property.Name),
            };
            found.Add((declaration, syntax.SpanStart, flat, new List<LayerSpec> { layer }));
        }

        var ordered = found.OrderBy(f => f.Declaration).ThenBy(f => f.Position).ToList();
        members.AddRange(ordered.Select(f => f.Member));
        return ordered.SelectMany(f => f.Layers.Select(l => l with { DeclarationIndex = f.Declaration })).ToList();
    }

    private static int DeclarationIndex(ImmutableArray<SyntaxReference> declarations, PropertyDeclarationSyntax property, CancellationToken cancellationToken)
    {
        for (int i = 0; i < declarations.Length; i++)
        {
            if (declarations[i].SyntaxTree == property.SyntaxTree && declarations[i].Span.Contains(property.Span))
            {
                return i;
            }
        }

        return declarations.Length;
    }

    private static LayerSpec ReadLayer(IPropertySymbol property, PropertyDeclarationSyntax syntax, List<AttributeData> attributes, CancellationToken cancellationToken)
    {
        AttributeData attribute = attributes[0];
        LayerKind kind = LayerAttributes[attribute.AttributeClass!.Name];
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var layer = new LayerSpec
        {
            Name = property.Name,
            Kind = kind,
            PropertyType = property.Type.ToDisplayString(TypeFormat),
            Modifiers = string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text)),
            IsPartial = syntax.Modifiers.Any(SyntaxKind.PartialKeyword),
            IsStatic = property.IsStatic,
            // A body here, or a user-written implementation part beside the declaration (the generator would add a
            // third part, CS9251): either way the property is not the declaration the generator implements (FL0005).
            HasSetter = property.SetMethod is not null || syntax.ExpressionBody is not null ||
                        (syntax.AccessorList?.Accessors.Any(a => a.Body is not null || a.ExpressionBody is not null) ?? false) ||
                        property.PartialImplementationPart is not null,
            LayerAttributeCount = attributes.Count,
            FilePath = syntax.SyntaxTree.FilePath,
            AttributeLocation = LocationInfo.From(attributeSyntax),
            PropertyLocation = LocationInfo.From(syntax.Identifier.GetLocation()),
            ArgumentLocations = ArgumentLocations(attribute, attributeSyntax).ToEquatableArray(),
        };

        return AttributeArguments.Apply(layer, attribute);
    }

    private static IEnumerable<NamedArgumentLocation> ArgumentLocations(AttributeData attribute, AttributeSyntax? syntax)
    {
        if (syntax?.ArgumentList is null)
        {
            yield break;
        }

        ImmutableArray<IParameterSymbol> parameters = attribute.AttributeConstructor?.Parameters ?? ImmutableArray<IParameterSymbol>.Empty;
        int position = 0;
        foreach (AttributeArgumentSyntax argument in syntax.ArgumentList.Arguments)
        {
            string? name = argument.NameEquals?.Name.Identifier.Text;
            if (name is null && argument.NameColon is not null)
            {
                name = PropertyName(argument.NameColon.Name.Identifier.Text);
            }
            else if (name is null && position < parameters.Length)
            {
                name = PropertyName(parameters[position].Name);
                position++;
            }

            if (name is not null)
            {
                yield return new NamedArgumentLocation(name, LocationInfo.From(argument));
            }
        }
    }

    private static string PropertyName(string parameterName) =>
        parameterName.Length == 0 ? parameterName : char.ToUpperInvariant(parameterName[0]) + parameterName.Substring(1);
}
