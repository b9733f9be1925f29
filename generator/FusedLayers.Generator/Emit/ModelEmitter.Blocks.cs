using System.Collections.Generic;
using System.Linq;
using FusedLayers.Generator.Helpers;
using FusedLayers.Generator.Model;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// Block uses in the model: each use's property returns an instance of the block class built (once, on first access)
/// from the model's fields of the use's layers, so <c>model.Layer1.Conv1</c> is the model's layer. The layers run in the
/// model's kernels like any other; the block instance is only a view.
/// </summary>
internal static partial class ModelEmitter
{
    private static void WriteBlockUses(CodeWriter w, ModelSpec spec)
    {
        foreach (BlockUseSpec use in spec.BlockUses.Where(u => u.Parent.Length == 0))
        {
            string field = BlockField(use);
            w.Line($"private {use.BlockType}? {field};");
            w.Line();
            w.Line($"/// <summary>Block use '{use.LocalName}': {use.BlockType.Replace("global::", "")}, its layers are this model's ({string.Join(", ", spec.Layers.Where(l => InUse(l, use)).Select(l => l.StateKey))}).</summary>");
            w.Line($"{(use.Modifiers.Length == 0 ? "" : use.Modifiers + " ")}partial {use.PropertyType} {Identifiers.Escape(use.LocalName)}");
            w.OpenBrace();
            w.Line($"get => {field} ??= {NewBlock(spec, use)};");
            w.CloseBrace();
            w.Line();
        }
    }

    private static void WriteBlockUseStubs(CodeWriter w, ModelSpec spec)
    {
        foreach (BlockUseSpec use in spec.BlockUses.Where(u => u.Parent.Length == 0 && u.IsPartial && !u.IsMalformed))
        {
            w.Line($"{(use.Modifiers.Length == 0 ? "" : use.Modifiers + " ")}partial {use.PropertyType} {Identifiers.Escape(use.LocalName)}");
            w.OpenBrace();
            w.Line($"get => throw new global::System.InvalidOperationException(\"Model '{spec.ClassName}' has declaration errors (see the FusedLayers FLxxxx diagnostics).\");");
            w.CloseBrace();
        }
    }

    /// <summary><c>new global::N.Block(_flLayerA, new global::N.Inner(...), ...)</c>: the block's members in its declaration order.</summary>
    private static string NewBlock(ModelSpec spec, BlockUseSpec use)
    {
        var arguments = new List<string>();
        foreach (string member in use.Members)
        {
            BlockUseSpec? nested = spec.BlockUses.FirstOrDefault(u => u.Name == member && u.Parent == use.Name);
            arguments.Add(nested is not null ? NewBlock(spec, nested) : Identifiers.LayerField(member));
        }

        return $"new {use.BlockType}({string.Join(", ", arguments)})";
    }

    private static bool InUse(LayerSpec layer, BlockUseSpec use) => ("|" + layer.BlockPath + "|").Contains("|" + use.Name + "|");

    /// <summary>The field behind a block use's property: <c>_flBlock</c> + its name.</summary>
    private static string BlockField(BlockUseSpec use) => "_flBlock" + use.Name;
}
