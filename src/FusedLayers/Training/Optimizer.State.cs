using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using FusedLayers.Checkpoints;

namespace FusedLayers.Training;

/// <summary>
/// Saving and loading the optimizer's state (PyTorch's <c>optimizer.state_dict()</c> /
/// <c>load_state_dict</c>) as a safetensors file, so that training resumes exactly where it stopped.
/// </summary>
/// <remarks>
/// <para>The format: PyTorch's <c>{"state": {...}, "param_groups": [...]}</c> flattened into tensor names, with
/// parameters named by their state-dict key instead of PyTorch's integer index:</para>
/// <list type="bullet">
/// <item><c>state.{parameterName}.step</c>: I64 scalar (shape <c>[]</c>), the number of steps taken (PyTorch's
/// <c>step</c>; PyTorch stores it as a float32 scalar, which loads too when integral; written for SGD as well,
/// which PyTorch does not, because the first SGD step differs).</item>
/// <item><c>state.{parameterName}.momentum_buffer</c> (SGD with momentum), <c>.exp_avg</c>, <c>.exp_avg_sq</c>,
/// <c>.max_exp_avg_sq</c> (Adam / AdamW, the last with AMSGrad only): F32 tensors of the parameter's shape.</item>
/// <item><c>param_groups.{g}.lr</c>: F64 scalar, the learning rate of group g (0, 1, ...);
/// <c>param_groups.{g}.initial_lr</c>: F64 scalar, written once a scheduler has set it (see
/// <see cref="LearningRateScheduler"/>).</item>
/// <item><c>__metadata__</c>: <c>optimizer</c> (the type name, for example <c>AdamW</c>),
/// <c>param_groups.{g}.params</c> (the group's parameter names, comma-separated, in order) and every other
/// hyperparameter of the group as <c>param_groups.{g}.{name}</c> (PyTorch's names: <c>momentum</c>,
/// <c>dampening</c>, <c>weight_decay</c>, <c>nesterov</c>, <c>beta1</c>, <c>beta2</c>, <c>eps</c>,
/// <c>amsgrad</c>; booleans as 1 / 0; round-trip decimal strings).</item>
/// </list>
/// <para>Before the first step the state is empty, as in PyTorch: only the group entries are written.</para>
/// <para>Loading restores the step count, the buffers, <c>lr</c> and <c>initial_lr</c>. Unlike PyTorch, the other
/// hyperparameters are not taken from the file (they are fixed at construction): they must equal the
/// optimizer's, as must the optimizer type, the number of groups and the parameter names of each. Every key is checked (missing, unexpected,
/// shape, dtype, hyperparameter) before anything is written, and all problems are reported together in a
/// <see cref="StateDictLoadException"/>; the optimizer is then unchanged.</para>
/// </remarks>
public abstract partial class Optimizer
{
    private const string StatePrefix = "state.";
    private const string OptimizerKey = "optimizer";

    /// <summary>
    /// The optimizer's state as a safetensors file in memory (values copied); see the class remarks of this
    /// file's part of <see cref="Optimizer"/> for the names.
    /// </summary>
    /// <param name="metadata">Extra <c>__metadata__</c> entries (the optimizer's own keys win).</param>
    /// <returns>The state dict.</returns>
    /// <exception cref="InvalidOperationException">Two parameters share a name.</exception>
    public SafeTensorsFile StateDict(IReadOnlyDictionary<string, string>? metadata = null)
    {
        RequireUniqueNames();
        var tensors = new List<SafeTensor>();
        if (StepCount > 0)
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                string prefix = StatePrefix + parameters[i].Name + ".";
                tensors.Add(SafeTensor.FromInt64(prefix + "step", [], [StepCount]));
                foreach ((string key, float[] buffer) in StateBuffers(i))
                {
                    tensors.Add(SafeTensor.FromFloat32(prefix + key, parameters[i].Shape, buffer));
                }
            }
        }

        for (int g = 0; g < groups.Length; g++)
        {
            tensors.Add(Float64Scalar(GroupPrefix(g) + "lr", learningRates[g]));
            if (initialLearningRates[g] is double initial)
            {
                tensors.Add(Float64Scalar(GroupPrefix(g) + "initial_lr", initial));
            }
        }

        var meta = metadata is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        meta[OptimizerKey] = GetType().Name;
        for (int g = 0; g < groups.Length; g++)
        {
            meta[GroupPrefix(g) + "params"] = GroupNames(g);
            foreach ((string name, double value) in Hyperparameters(g))
            {
                meta[GroupPrefix(g) + name] = value.ToString("R", CultureInfo.InvariantCulture);
            }
        }

        return new SafeTensorsFile(tensors, meta);
    }

    /// <summary>Saves the optimizer's state to a safetensors file (see <see cref="StateDict"/>).</summary>
    /// <param name="path">Path, conventionally ending in <c>.safetensors</c>.</param>
    public void SaveStateDict(string path) => StateDict().Write(path);

    /// <summary>Saves the optimizer's state to a stream in the safetensors format (left open).</summary>
    /// <param name="stream">The stream.</param>
    public void SaveStateDict(Stream stream) => StateDict().Write(stream);

    /// <summary>Loads an optimizer state saved by <see cref="SaveStateDict(string)"/>.</summary>
    /// <param name="path">Path.</param>
    /// <exception cref="SafeTensorsFormatException">The file breaks the format.</exception>
    /// <exception cref="StateDictLoadException">The state does not fit this optimizer; nothing is changed.</exception>
    public void LoadStateDict(string path) => LoadStateDict(SafeTensorsFile.Read(path));

    /// <summary>Loads an optimizer state from a safetensors stream (read to its end, left open).</summary>
    /// <param name="stream">The stream.</param>
    /// <exception cref="SafeTensorsFormatException">The data breaks the format.</exception>
    /// <exception cref="StateDictLoadException">The state does not fit this optimizer; nothing is changed.</exception>
    public void LoadStateDict(Stream stream) => LoadStateDict(SafeTensorsFile.Read(stream));

    /// <summary>
    /// Loads an optimizer state (PyTorch's <c>load_state_dict</c>): the step count, the per-parameter buffers,
    /// <c>lr</c> and <c>initial_lr</c>. Everything is checked first; on any problem nothing is changed.
    /// </summary>
    /// <param name="file">The state dict, as <see cref="StateDict"/> returns it.</param>
    /// <exception cref="StateDictLoadException">
    /// The state does not fit: another optimizer type or parameter list, a different hyperparameter, a missing
    /// or unexpected key, a shape or dtype that does not fit, or step counts that disagree or are invalid.
    /// </exception>
    public void LoadStateDict(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        RequireUniqueNames();
        var missing = new List<string>();
        var problems = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var copies = new List<Action>();

        CheckMetadata(file, problems);

        // The groups: lr (required) and initial_lr (optional); no group beyond this optimizer's.
        var lrs = new double?[groups.Length];
        var initialLrs = new double?[groups.Length];
        for (int g = 0; g < groups.Length; g++)
        {
            string prefix = GroupPrefix(g);
            lrs[g] = ReadFloat64Scalar(file, prefix + "lr", used, missing, problems);
            initialLrs[g] = file.Find(prefix + "initial_lr") is null ? null : ReadFloat64Scalar(file, prefix + "initial_lr", used, missing, problems);
            if (lrs[g] is double rate && (!(rate >= 0) || double.IsInfinity(rate)))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{prefix}lr is {rate}: a learning rate must be finite and at least 0."));
            }
        }

        if (file.Metadata.ContainsKey(GroupPrefix(groups.Length) + "params"))
        {
            int count = groups.Length;
            while (file.Metadata.ContainsKey(GroupPrefix(count) + "params"))
            {
                count++;
            }

            problems.Add($"The state has {count} parameter groups, this optimizer {groups.Length}.");
        }

        // The step count: every parameter's or none.
        long? step = null;
        var withoutStep = new List<string>();
        for (int i = 0; i < parameters.Length; i++)
        {
            string key = StatePrefix + parameters[i].Name + ".step";
            if (file.Find(key) is null)
            {
                withoutStep.Add(key);
                continue;
            }

            long? s = ReadStep(file, key, used, problems);
            if (s is long value)
            {
                if (step is long first && first != value)
                {
                    problems.Add($"{key} is {value}, the first parameter's step is {first}: this optimizer keeps one step count for all parameters.");
                }

                step ??= value;
            }
        }

        if (withoutStep.Count > 0 && withoutStep.Count < parameters.Length)
        {
            missing.AddRange(withoutStep); // some parameters have state, others none
        }

        long newStep = step ?? 0;
        if (newStep > 0)
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                Parameter p = parameters[i];
                foreach ((string key, float[] buffer) in StateBuffers(i))
                {
                    string name = StatePrefix + p.Name + "." + key;
                    StageBuffer(file.Find(name), name, p.Shape, buffer, used, missing, problems, copies);
                }
            }
        }

        List<string> unexpected = [.. file.Tensors.Select(t => t.Name).Where(n => !used.Contains(n))];
        var errors = new List<string>();
        if (missing.Count > 0)
        {
            errors.Add($"Missing key(s) in state_dict: {Quote(missing)}.");
        }

        if (unexpected.Count > 0)
        {
            errors.Add($"Unexpected key(s) in state_dict: {Quote(unexpected)}.");
        }

        errors.AddRange(problems);
        if (errors.Count > 0)
        {
            throw new StateDictLoadException(
                $"Error(s) in loading state_dict for {GetType().Name}:\n\t{string.Join("\n\t", errors)}", missing, unexpected, problems);
        }

        if (newStep == 0)
        {
            // PyTorch's state is empty before the first step: clear what this optimizer holds.
            for (int i = 0; i < parameters.Length; i++)
            {
                foreach ((string _, float[] buffer) in StateBuffers(i))
                {
                    Array.Clear(buffer);
                }
            }
        }

        foreach (Action copy in copies)
        {
            copy();
        }

        StepCount = newStep;
        for (int g = 0; g < groups.Length; g++)
        {
            learningRates[g] = lrs[g]!.Value;
            if (initialLrs[g] is not null)
            {
                initialLearningRates[g] = initialLrs[g];
            }
        }
    }

    /// <summary>
    /// The per-parameter state of parameter <paramref name="index"/> under PyTorch's names (for example
    /// <c>exp_avg</c>), each array as long as the parameter; <see cref="StateDict"/> saves them and
    /// <see cref="LoadStateDict(SafeTensorsFile)"/> writes into them. None by default.
    /// </summary>
    /// <param name="index">Index in <see cref="Parameters"/>.</param>
    /// <returns>The named buffers (the optimizer's own arrays, not copies).</returns>
    protected virtual IEnumerable<KeyValuePair<string, float[]>> StateBuffers(int index) => [];

    /// <summary>
    /// The hyperparameters of group <paramref name="group"/> other than the learning rate under PyTorch's names
    /// (booleans as 1 / 0), saved in the metadata and required to match on loading. None by default.
    /// </summary>
    /// <param name="group">Index in <see cref="ParamGroups"/>.</param>
    /// <returns>Name and value pairs.</returns>
    protected virtual IEnumerable<KeyValuePair<string, double>> Hyperparameters(int group) => [];

    private static string GroupPrefix(int group) => string.Create(CultureInfo.InvariantCulture, $"param_groups.{group}.");

    private string GroupNames(int group) => string.Join(",", groups[group].Parameters.Select(p => p.Name));

    private void CheckMetadata(SafeTensorsFile file, List<string> problems)
    {
        IReadOnlyDictionary<string, string> meta = file.Metadata;
        if (!meta.TryGetValue(OptimizerKey, out string? type))
        {
            problems.Add($"The metadata has no '{OptimizerKey}' entry: not an optimizer state saved by Optimizer.StateDict.");
        }
        else if (type != GetType().Name)
        {
            problems.Add($"The state was saved by a {type} optimizer and cannot be loaded into a {GetType().Name}.");
        }

        for (int g = 0; g < groups.Length; g++)
        {
            CheckGroupMetadata(meta, g, problems);
        }
    }

    private void CheckGroupMetadata(IReadOnlyDictionary<string, string> meta, int group, List<string> problems)
    {
        string names = GroupNames(group);
        if (meta.TryGetValue(GroupPrefix(group) + "params", out string? saved) && saved != names)
        {
            problems.Add($"{GroupPrefix(group)}params differ: the state has [{saved}], this optimizer has [{names}].");
        }

        foreach ((string name, double value) in Hyperparameters(group))
        {
            string key = GroupPrefix(group) + name;
            if (meta.TryGetValue(key, out string? text))
            {
                bool parsed = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double savedValue);
                if (!parsed || !savedValue.Equals(value))
                {
                    problems.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{key} is {text} in the state and {value:R} in this optimizer (hyperparameters other than lr are fixed at construction and not loaded)."));
                }
            }
        }
    }

    private void RequireUniqueNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Parameter p in parameters)
        {
            if (!names.Add(p.Name))
            {
                throw new InvalidOperationException($"Two parameters are named '{p.Name}': the optimizer state names parameters by name.");
            }
        }
    }

    private static SafeTensor Float64Scalar(string name, double value)
    {
        var bytes = new byte[sizeof(double)];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        return new SafeTensor(name, "F64", [], bytes);
    }

    private static bool IsScalar(SafeTensor t) => t.Shape.Count == 0 || (t.Shape.Count == 1 && t.Shape[0] == 1);

    private static double? ReadFloat64Scalar(SafeTensorsFile file, string name, HashSet<string> used, List<string> missing, List<string> problems)
    {
        SafeTensor? t = file.Find(name);
        if (t is null)
        {
            missing.Add(name);
            return null;
        }

        used.Add(name);
        if (!IsScalar(t))
        {
            problems.Add($"size mismatch for {name}: the state has shape {SafeTensor.Format(t.Shape)}, a scalar ([] or [1]) is expected.");
            return null;
        }

        try
        {
            return t.DType == "F64" ? BinaryPrimitives.ReadDoubleLittleEndian(t.Data.Span) : t.ToFloat32()[0];
        }
        catch (NotSupportedException e)
        {
            problems.Add($"{name}: the dtype {t.DType} cannot be read as a number: {e.Message}");
            return null;
        }
    }

    private static long? ReadStep(SafeTensorsFile file, string name, HashSet<string> used, List<string> problems)
    {
        SafeTensor t = file.Find(name)!;
        used.Add(name);
        if (!IsScalar(t))
        {
            problems.Add($"size mismatch for {name}: the state has shape {SafeTensor.Format(t.Shape)}, a scalar ([] or [1]) is expected.");
            return null;
        }

        double value;
        try
        {
            value = t.DType switch
            {
                "F64" => BinaryPrimitives.ReadDoubleLittleEndian(t.Data.Span),
                "F32" or "F16" or "BF16" => t.ToFloat32()[0],
                _ => t.ToInt64()[0],
            };
        }
        catch (NotSupportedException e)
        {
            problems.Add($"{name}: the dtype {t.DType} cannot be read as a step count: {e.Message}");
            return null;
        }

        if (!(value >= 0) || value != Math.Floor(value) || value > long.MaxValue / 2)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} is {value}: a step count must be a whole number, at least 0."));
            return null;
        }

        return t.DType is "I64" or "U64" ? t.ToInt64()[0] : (long)value;
    }

    private static void StageBuffer(
        SafeTensor? source, string name, int[] shape, float[] target, HashSet<string> used, List<string> missing, List<string> problems, List<Action> copies)
    {
        if (source is null)
        {
            missing.Add(name);
            return;
        }

        used.Add(name);
        bool same = source.Shape.Count == shape.Length;
        for (int d = 0; same && d < shape.Length; d++)
        {
            same = source.Shape[d] == shape[d];
        }

        if (!same)
        {
            problems.Add(
                $"size mismatch for {name}: copying a tensor with shape {SafeTensor.Format(source.Shape)} from the state, " +
                $"the shape of the parameter is {TensorShape.Format(shape)}.");
            return;
        }

        try
        {
            float[] values = source.ToFloat32();
            copies.Add(() => values.AsSpan(0, target.Length).CopyTo(target));
        }
        catch (NotSupportedException e)
        {
            problems.Add($"{name}: the state's dtype {source.DType} cannot be converted to F32: {e.Message}");
        }
    }

    private static string Quote(IEnumerable<string> keys) => string.Join(", ", keys.Select(k => $"\"{k}\""));
}
