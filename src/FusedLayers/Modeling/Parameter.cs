using System;

namespace FusedLayers;

/// <summary>
/// A learnable tensor with its gradient, named as in a PyTorch state dict (<c>Conv.weight</c>).
/// Gradients accumulate across backward passes until <see cref="ZeroGrad"/> (or the model's
/// <c>ZeroGrad</c>) clears them, as in PyTorch.
/// </summary>
public sealed class Parameter
{
    /// <summary>Creates a zero-filled parameter.</summary>
    /// <param name="name">State-dict key, for example <c>Conv.weight</c>.</param>
    /// <param name="shape">Shape, for example <c>[out_channels, in_channels, k, k]</c>.</param>
    public Parameter(string name, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        Shape = (int[])shape.Clone();
        int length = TensorShape.Length(shape);
        Data = new float[length];
        Grad = new float[length];
    }

    /// <summary>State-dict key, for example <c>Conv.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The parameter's shape (do not modify).</summary>
    public int[] Shape { get; }

    /// <summary>Values in row-major order. Writing to them is allowed; the model reads them on every call.</summary>
    public float[] Data { get; }

    /// <summary>Accumulated gradient, same layout as <see cref="Data"/>.</summary>
    public float[] Grad { get; }

    /// <summary>
    /// Whether Backward computes and accumulates this parameter's gradient (default true). Set it to false to freeze
    /// the parameter, as PyTorch's <c>requires_grad_(False)</c>: Backward leaves <see cref="Grad"/> unchanged (the
    /// gradient of the layer's input still flows) and the optimizers skip it.
    /// </summary>
    public bool RequiresGrad { get; set; } = true;

    /// <summary>Where generated Backward accumulates: <see cref="Grad"/>, or nothing for a frozen parameter.</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public Span<float> GradTarget => RequiresGrad ? Grad : Span<float>.Empty;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Sets the gradient to zero.</summary>
    public void ZeroGrad() => Array.Clear(Grad);

    /// <inheritdoc />
    public override string ToString() => $"{Name} {TensorShape.Format(Shape)}";
}
