using System;
using System.Collections.Generic;

namespace FusedLayers.Reference;

/// <summary>
/// A chain of reference layers (PyTorch's <c>nn.Sequential</c>): <see cref="Forward"/> runs them in
/// order, <see cref="Backward"/> in reverse. A <see cref="ReferenceResidual"/> in the chain adds the output of
/// an earlier layer, whose gradient then sums both paths. Parameters keep their own state-dict keys
/// (<c>Conv.weight</c>), concatenated in layer order.
/// </summary>
public sealed class ReferenceSequential : IReferenceLayer
{
    private readonly IReferenceLayer[] layers;
    private readonly ReferenceParameter[] parameters;
    private bool training = true;

    /// <summary>Creates the chain. The layers' own <see cref="IReferenceLayer.Training"/> flags are left as they are.</summary>
    /// <param name="name">Name of the chain.</param>
    /// <param name="layers">The layers, in data-flow order.</param>
    public ReferenceSequential(string name, params IReferenceLayer[] layers)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(layers);
        var all = new List<ReferenceParameter>();
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i] is null)
            {
                throw new ArgumentException($"{name}: layer {i} is null.", nameof(layers));
            }

            all.AddRange(layers[i].Parameters);
        }

        Name = name;
        this.layers = (IReferenceLayer[])layers.Clone();
        parameters = [.. all];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Training mode; setting it sets every layer's mode.</summary>
    public bool Training
    {
        get => training;
        set
        {
            training = value;
            foreach (IReferenceLayer layer in layers)
            {
                layer.Training = value;
            }
        }
    }

    /// <summary>The layers, in data-flow order.</summary>
    public IReadOnlyList<IReferenceLayer> Layers => layers;

    /// <summary>All layers' parameters, concatenated in layer order.</summary>
    public IReadOnlyList<ReferenceParameter> Parameters => parameters;

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ReferenceTensor current = input;
        var outputs = new Dictionary<string, ReferenceTensor> { [ResidualAttribute.ModelInput] = input };
        foreach (IReferenceLayer layer in layers)
        {
            if (layer is ReferenceResidual residual)
            {
                residual.SkipInput = outputs.TryGetValue(residual.From, out ReferenceTensor? skip)
                    ? skip
                    : throw new InvalidOperationException($"{Name}: residual '{residual.Name}' adds '{residual.From}', which is not an earlier layer.");
            }

            current = layer.Forward(current);
            outputs[layer.Name] = current;
        }

        return current;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        ReferenceTensor current = gradOutput;

        // A layer whose output also feeds a skip connection receives the sum of both gradients.
        var pending = new Dictionary<string, ReferenceTensor>();
        for (int i = layers.Length - 1; i >= 0; i--)
        {
            if (pending.Remove(layers[i].Name, out ReferenceTensor? extra))
            {
                current = Add(current, extra);
            }

            current = layers[i].Backward(current);
            if (layers[i] is ReferenceResidual residual)
            {
                ReferenceTensor skipGradient = residual.SkipGradient!;
                pending[residual.From] = pending.TryGetValue(residual.From, out ReferenceTensor? earlier) ? Add(earlier, skipGradient) : skipGradient;
            }
        }

        // A skip connection from the model input (ResidualAttribute.ModelInput) adds its gradient to the input's.
        return pending.Remove(ResidualAttribute.ModelInput, out ReferenceTensor? fromInput) ? Add(current, fromInput) : current;
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (ReferenceParameter parameter in parameters)
        {
            parameter.ZeroGrad();
        }
    }

    /// <summary>Finds a parameter by its state-dict key (<c>Conv.weight</c>); null when there is none.</summary>
    /// <param name="name">The state-dict key.</param>
    public ReferenceParameter? FindParameter(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (ReferenceParameter parameter in parameters)
        {
            if (parameter.Name == name)
            {
                return parameter;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: ReferenceSequential({layers.Length} layers)";

    private static ReferenceTensor Add(ReferenceTensor a, ReferenceTensor b)
    {
        var sum = new ReferenceTensor(a.Shape);
        for (int i = 0; i < sum.Length; i++)
        {
            sum.Data[i] = a.Data[i] + b.Data[i];
        }

        return sum;
    }
}
