using System;

namespace FusedLayers;

/// <summary>
/// Rectified linear unit, <c>y = max(0, x)</c>, as PyTorch's <c>nn.ReLU</c>. Fused as the epilogue of a
/// preceding convolution, linear or batch-norm layer. The property must be of type <see cref="ReLULayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ReLUAttribute : Attribute
{
}

/// <summary>
/// Flattens each sample to one dimension, as PyTorch's <c>nn.Flatten()</c> (start_dim = 1).
/// It moves no data: the next kernel reads the same buffer. The property must be of type <see cref="FlattenLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class FlattenAttribute : Attribute
{
}
