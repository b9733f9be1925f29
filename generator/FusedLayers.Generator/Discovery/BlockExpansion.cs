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
/// Expands <c>[Block(typeof(X))]</c> uses into the model's flat layer list at discovery: every layer of the block class
/// becomes a model layer named <c>{Use}_{Layer}</c>, with the use's <c>Planes</c> / <c>Stride</c> put in for
/// <c>BlockParameter.Planes</c> / <c>Stride</c>, its state-dict name prefixed by the use's, and its skip source mapped
/// to the block's layers (or marked as the block input, resolved once the model's order is known). Only plain values
/// leave this class.
/// </summary>
internal static class BlockExpansion
{
    public const string BlockAttributeName = "FusedLayers.BlockAttribute";
    public const string FusedBlockAttributeName = "FusedLayers.FusedBlockAttribute";
    public const string StateNameAttributeName = "FusedLayers.StateNameAttribute";

    /// <summary>Marks a skip source as "the input of block use {name}" until the flat order is known.</summary>
    private const string BlockInputMarker = "\u0001";

    private const string BlockInputName = "block_input";
    private const int Inferred = -1;
    private const int PlanesParameter = -2;
    private const int StrideParameter = -3;

    /// <summary>Block types being expanded (outermost first, to find recursion) and the uses found.</summary>
    internal sealed class Context
    {
        public List<INamedTypeSymbol> Path { get; } = new();

        public List<BlockUseSpec> Uses { get; } = new();
    }

    public static bool IsBlockUse(AttributeData attribute) => attribute.AttributeClass?.ToDisplayString() == BlockAttributeName;

    public static bool IsBlockClass(INamedTypeSymbol type) =>
        type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == FusedBlockAttributeName);

    /// <summary>The <c>[StateName]</c> of a property, or null.</summary>
    public static string? StateName(IPropertySymbol property)
    {
        foreach (AttributeData attribute in property.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == StateNameAttributeName && attribute.ConstructorArguments.Length == 1)
            {
                return attribute.ConstructorArguments[0].Value as string ?? "";
            }
        }

        return null;
    }

    /// <summary>The layers of one use, flat; the use (and nested uses) are added to <paramref name="context"/>.</summary>
    public static List<LayerSpec> Expand(
        IPropertySymbol property, PropertyDeclarationSyntax syntax, AttributeData use, string parentFlat, string parentPath,
        Context context, SymbolDisplayFormat typeFormat, CancellationToken cancellationToken)
    {
        string flat = parentFlat.Length == 0 ? property.Name : parentFlat + "_" + property.Name;
        string path = parentPath.Length == 0 ? flat : parentPath + "|" + flat;
        int planes = Named(use, "Planes", 0);
        int stride = Named(use, "Stride", 1);
        var block = use.ConstructorArguments.Length == 1 ? use.ConstructorArguments[0].Value as INamedTypeSymbol : null;
        var spec = new BlockUseSpec
        {
            Name = flat,
            LocalName = property.Name,
            Parent = parentFlat,
            BlockType = block?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) ?? "",
            PropertyType = property.Type.ToDisplayString(typeFormat),
            Modifiers = string.Join(" ", syntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text)),
            IsPartial = syntax.Modifiers.Any(SyntaxKind.PartialKeyword),
            IsMalformed = property.IsStatic || property.SetMethod is not null || syntax.ExpressionBody is not null ||
                          (syntax.AccessorList?.Accessors.Any(a => a.Body is not null || a.ExpressionBody is not null) ?? false) ||
                          property.PartialImplementationPart is not null,
            AttributeLocation = LocationInfo.From(use.ApplicationSyntaxReference?.GetSyntax(cancellationToken)),
            PropertyLocation = LocationInfo.From(syntax.Identifier.GetLocation()),
        };

        if (block is null || block.TypeKind == TypeKind.Error || !IsBlockClass(block))
        {
            string what = block is null || block.TypeKind == TypeKind.Error ? (block?.Name ?? "(null)") : block.ToDisplayString();
            context.Uses.Add(spec with { ProblemId = "FL0020", Problem = what + "\u0000" + (block is null || block.TypeKind == TypeKind.Error ? "is not a class" : "is not marked [FusedBlock]; add [FusedBlock] to the class, or use [FusedModel] layers directly") });
            return new List<LayerSpec>();
        }

        if (context.Path.Any(t => SymbolEqualityComparer.Default.Equals(t, block)))
        {
            string cycle = string.Join(" -> ", context.Path.SkipWhile(t => !SymbolEqualityComparer.Default.Equals(t, block)).Select(t => t.Name).Concat(new[] { block.Name }));
            context.Uses.Add(spec with { ProblemId = "FL0021", Problem = block.Name + "\u0000" + cycle });
            return new List<LayerSpec>();
        }

        int useIndex = context.Uses.Count;
        context.Uses.Add(spec);
        context.Path.Add(block);
        var members = new List<string>();
        List<LayerSpec> layers = ModelDiscovery.ReadMembers(block, context, flat, path, members, cancellationToken);
        context.Path.RemoveAt(context.Path.Count - 1);
        context.Uses[useIndex] = spec with { Members = members.ToEquatableArray() };

        string useState = StateName(property) ?? property.Name;
        var direct = new HashSet<string>(layers.Where(l => l.BlockPath == path).Select(l => l.LocalName));
        var result = new List<LayerSpec>(layers.Count);
        foreach (LayerSpec inner in layers)
        {
            LayerSpec layer = Substitute(inner, planes, stride, block.Name, flat);
            if (layer.BlockPath == path && layer.Kind == LayerKind.Residual && layer.BlockProblem.Length == 0)
            {
                layer = MapSource(layer, block.Name, flat, path, direct, layers, context);
            }

            result.Add(layer with { StateName = useState + "." + layer.StateKey });
        }

        return result;
    }

    /// <summary>
    /// Replaces the marker sources of block inputs by the flat name of the layer before the block (or the model input),
    /// once the model's flat order is known.
    /// </summary>
    public static List<LayerSpec> ResolveBlockInputs(List<LayerSpec> layers)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i].Kind != LayerKind.Residual || !layers[i].From.StartsWith(BlockInputMarker, System.StringComparison.Ordinal))
            {
                continue;
            }

            string use = layers[i].From.Substring(BlockInputMarker.Length);
            int first = layers.FindIndex(l => ("|" + l.BlockPath + "|").Contains("|" + use + "|"));
            layers[i] = layers[i] with { From = first <= 0 ? LayerKinds.ModelInputName : layers[first - 1].Name };
        }

        return layers;
    }

    /// <summary>The use's values for <c>BlockParameter.Planes</c> and <c>Stride</c>; FL0130 when one is used but not given.</summary>
    private static LayerSpec Substitute(LayerSpec layer, int planes, int stride, string blockName, string use)
    {
        string missing = "";
        int Value(int v)
        {
            if (v == PlanesParameter)
            {
                if (planes == 0)
                {
                    missing = "Planes";
                    return v;
                }

                return planes;
            }

            return v == StrideParameter ? stride : v;
        }

        LayerSpec result = layer with
        {
            InChannels = Value(layer.InChannels),
            OutChannels = Value(layer.OutChannels),
            NumFeatures = Value(layer.NumFeatures),
            NumGroups = Value(layer.NumGroups),
            Stride = Value(layer.Stride),
            ProjectionStride = Value(layer.ProjectionStride),
        };
        return missing.Length == 0 || result.BlockProblem.Length > 0
            ? result
            : result with { BlockProblemId = "FL0130", BlockProblem = blockName + "\u0000" + missing + "\u0000" + use };
    }

    private static LayerSpec MapSource(LayerSpec layer, string blockName, string flat, string path, HashSet<string> direct, List<LayerSpec> layers, Context context)
    {
        string from = layer.From;
        if (direct.Contains(from))
        {
            return layer with { From = flat + "_" + from };
        }

        BlockUseSpec? nested = context.Uses.FirstOrDefault(u => u.Parent == flat && u.LocalName == from);
        if (nested is not null)
        {
            LayerSpec? last = layers.LastOrDefault(l => ("|" + l.BlockPath + "|").Contains("|" + nested.Name + "|"));
            if (last is not null)
            {
                return layer with { From = last.Name };
            }
        }

        if (from == BlockInputName || from == blockName)
        {
            return layer with { From = BlockInputMarker + flat };
        }

        return layer with { BlockProblemId = "FL0220", BlockProblem = blockName + "\u0000" + from };
    }

    private static int Named(AttributeData attribute, string name, int fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name && argument.Value.Value is int value)
            {
                return value;
            }
        }

        return fallback;
    }
}
