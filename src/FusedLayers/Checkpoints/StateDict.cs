using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace FusedLayers.Checkpoints;

/// <summary>
/// Saves and loads a model's state dict, its parameters and buffers under PyTorch's names
/// (<c>Conv.weight</c>, <c>Bn.running_mean</c>, <c>Bn.num_batches_tracked</c>, ...), in the safetensors format:
/// float32 tensors with the PyTorch shapes, and <c>num_batches_tracked</c> as an int64 scalar (shape <c>[]</c>).
/// A file written here loads into the equivalent PyTorch module and the reverse.
/// </summary>
/// <remarks>
/// <para>Loading follows <c>nn.Module.load_state_dict</c>: strict by default (missing and unexpected keys are
/// errors), <c>strict: false</c> loads the keys both sides have and reports the rest; a size mismatch is an
/// error in both modes. Everything is checked and converted before the first value is written, so a
/// failed load leaves the model untouched. Like PyTorch's BatchNorm, a checkpoint without
/// <c>num_batches_tracked</c> (older PyTorch versions) is accepted and the model keeps its own count; like
/// PyTorch, a one-element 1-D tensor loads into a scalar, and other numeric dtypes are converted
/// (integers only into <c>num_batches_tracked</c>).</para>
/// </remarks>
public static class StateDict
{
    private const string NumBatchesTracked = ".num_batches_tracked";

    /// <summary>The model's state dict as a safetensors file in memory (values copied).</summary>
    /// <param name="model">The model.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries.</param>
    /// <returns>The file: parameters then buffers, in the model's order.</returns>
    public static SafeTensorsFile ToSafeTensors(IFusedModel model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = new List<SafeTensor>(model.Parameters.Count + model.Buffers.Count);
        foreach (Parameter p in model.Parameters)
        {
            tensors.Add(SafeTensor.FromFloat32(p.Name, p.Shape, p.Data));
        }

        foreach (Buffer b in model.Buffers)
        {
            tensors.Add(b.ElementType == BufferElementType.Int64
                ? SafeTensor.FromInt64(b.Name, b.Shape, b.Int64Data)
                : SafeTensor.FromFloat32(b.Name, b.Shape, b.FloatData));
        }

        return new SafeTensorsFile(tensors, metadata);
    }

    /// <summary>Saves the model's state dict to a safetensors file.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">Path, conventionally ending in <c>.safetensors</c>.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries.</param>
    public static void Save(IFusedModel model, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        ToSafeTensors(model, metadata).Write(path);

    /// <summary>Saves the model's state dict to a stream in the safetensors format (left open).</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> entries.</param>
    public static void Save(IFusedModel model, Stream stream, IReadOnlyDictionary<string, string>? metadata = null) =>
        ToSafeTensors(model, metadata).Write(stream);

    /// <summary>Loads a safetensors file into the model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">Path.</param>
    /// <param name="strict">Require the keys to match exactly (PyTorch's default).</param>
    /// <returns>Missing and unexpected keys (empty after a strict load).</returns>
    /// <exception cref="SafeTensorsFormatException">The file breaks the format.</exception>
    /// <exception cref="StateDictLoadException">The checkpoint does not fit the model; the model is unchanged.</exception>
    public static StateDictLoadResult Load(IFusedModel model, string path, bool strict = true) =>
        Load(model, SafeTensorsFile.Read(path), strict);

    /// <summary>Loads a safetensors stream into the model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">The stream (read to its end, left open).</param>
    /// <param name="strict">Require the keys to match exactly.</param>
    /// <returns>Missing and unexpected keys.</returns>
    /// <exception cref="SafeTensorsFormatException">The data breaks the format.</exception>
    /// <exception cref="StateDictLoadException">The checkpoint does not fit the model; the model is unchanged.</exception>
    public static StateDictLoadResult Load(IFusedModel model, Stream stream, bool strict = true) =>
        Load(model, SafeTensorsFile.Read(stream), strict);

    /// <summary>Loads a state dict held in a <see cref="SafeTensorsFile"/> into the model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="file">The state dict.</param>
    /// <param name="strict">Require the keys to match exactly.</param>
    /// <returns>Missing and unexpected keys.</returns>
    /// <exception cref="StateDictLoadException">The checkpoint does not fit the model; the model is unchanged.</exception>
    public static StateDictLoadResult Load(IFusedModel model, SafeTensorsFile file, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(file);
        var missing = new List<string>();
        var mismatches = new List<string>();
        var copies = new List<Action>();
        var modelKeys = new HashSet<string>(StringComparer.Ordinal);

        foreach (Parameter p in model.Parameters)
        {
            modelKeys.Add(p.Name);
            Stage(file.Find(p.Name), p.Name, p.Shape, integer: false, p.Data, null, missing, mismatches, copies);
        }

        foreach (Buffer b in model.Buffers)
        {
            modelKeys.Add(b.Name);
            bool integer = b.ElementType == BufferElementType.Int64;
            SafeTensor? source = file.Find(b.Name);
            if (source is null && integer && b.Name.EndsWith(NumBatchesTracked, StringComparison.Ordinal))
            {
                continue; // PyTorch's BatchNorm keeps its own count when the checkpoint predates the buffer.
            }

            Stage(source, b.Name, b.Shape, integer, b.FloatData, b.Int64Data, missing, mismatches, copies);
        }

        List<string> unexpected = [.. file.Tensors.Select(t => t.Name).Where(name => !modelKeys.Contains(name))];
        var errors = new List<string>();
        if (strict && missing.Count > 0)
        {
            errors.Add($"Missing key(s) in state_dict: {Quote(missing)}. ");
        }

        if (strict && unexpected.Count > 0)
        {
            errors.Add($"Unexpected key(s) in state_dict: {Quote(unexpected)}. ");
        }

        errors.AddRange(mismatches);
        if (errors.Count > 0)
        {
            throw new StateDictLoadException(
                $"Error(s) in loading state_dict for {model.GetType().Name}:\n\t{string.Join("\n\t", errors)}",
                strict ? missing : [],
                strict ? unexpected : [],
                mismatches);
        }

        foreach (Action copy in copies)
        {
            copy();
        }

        return new StateDictLoadResult(missing, unexpected) { LoadedCount = copies.Count };
    }

    /// <summary>Checks one key and, when it fits, converts its values and queues the copy.</summary>
    private static void Stage(
        SafeTensor? source,
        string name,
        int[] shape,
        bool integer,
        float[] floatTarget,
        long[]? integerTarget,
        List<string> missing,
        List<string> mismatches,
        List<Action> copies)
    {
        if (source is null)
        {
            missing.Add(name);
            return;
        }

        // PyTorch loads a 1-D tensor into a scalar from its first element (checkpoints of PyTorch 0.3).
        bool scalarFromVector = shape.Length == 0 && source.Shape.Count == 1 && source.ElementCount >= 1;
        if (!scalarFromVector && !SameShape(source.Shape, shape))
        {
            mismatches.Add(
                $"size mismatch for {name}: copying a param with shape {SafeTensor.Format(source.Shape)} from checkpoint, " +
                $"the shape in current model is {TensorShape.Format(shape)}.");
            return;
        }

        try
        {
            if (integer)
            {
                long[] values = source.ToInt64();
                long[] target = integerTarget!;
                copies.Add(() => values.AsSpan(0, target.Length).CopyTo(target));
            }
            else
            {
                float[] values = source.ToFloat32();
                copies.Add(() => values.AsSpan(0, floatTarget.Length).CopyTo(floatTarget));
            }
        }
        catch (NotSupportedException e)
        {
            mismatches.Add($"While copying the parameter named \"{name}\", the checkpoint's dtype {source.DType} cannot be converted: {e.Message}");
        }
    }

    private static bool SameShape(IReadOnlyList<long> a, int[] b)
    {
        if (a.Count != b.Length)
        {
            return false;
        }

        for (int i = 0; i < b.Length; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string Quote(IEnumerable<string> keys) => string.Join(", ", keys.Select(k => $"\"{k}\""));
}
