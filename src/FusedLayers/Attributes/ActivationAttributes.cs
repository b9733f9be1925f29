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

/// <summary>
/// <c>x &gt; 0 ? x : NegativeSlope * x</c>, as PyTorch's <c>nn.LeakyReLU(negative_slope=0.01)</c>. Fused as the
/// epilogue of a preceding convolution, linear or normalisation layer. The property must be of type
/// <see cref="ActivationLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LeakyReLUAttribute : Attribute
{
    /// <summary>Slope for negative inputs (PyTorch's <c>negative_slope</c>, default 0.01); must be finite.</summary>
    public double NegativeSlope { get; set; } = 0.01;
}

/// <summary>
/// <c>min(max(0, x), 6)</c>, as PyTorch's <c>nn.ReLU6</c>. Fused as an epilogue like <see cref="ReLUAttribute"/>.
/// The property must be of type <see cref="ActivationLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ReLU6Attribute : Attribute
{
}

/// <summary>
/// <c>x * sigmoid(x)</c> (swish), as PyTorch's <c>nn.SiLU</c>. Fused as an epilogue; its backward recomputes the
/// pre-activation instead of storing it where a BatchNorm precedes it. The property must be of type
/// <see cref="ActivationLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SiLUAttribute : Attribute
{
}

/// <summary>
/// Gaussian error linear unit, as PyTorch's <c>nn.GELU(approximate='none')</c>: <c>x * Phi(x)</c>; with
/// <see cref="Approximate"/> = <c>"tanh"</c>, <c>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c>.
/// The property must be of type <see cref="ActivationLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GELUAttribute : Attribute
{
    /// <summary><c>"none"</c> (exact, the default) or <c>"tanh"</c>, PyTorch's <c>approximate</c>.</summary>
    public string Approximate { get; set; } = "none";
}

/// <summary>
/// Logistic sigmoid <c>1 / (1 + exp(-x))</c>, as PyTorch's <c>nn.Sigmoid</c>. Fused as an epilogue. The
/// property must be of type <see cref="ActivationLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SigmoidAttribute : Attribute
{
}

/// <summary>
/// Hyperbolic tangent, as PyTorch's <c>nn.Tanh</c>. Fused as an epilogue. The property must be of type
/// <see cref="ActivationLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class TanhAttribute : Attribute
{
}

/// <summary>
/// <c>x * min(max(x + 3, 0), 6) / 6</c>, as PyTorch's <c>nn.Hardswish</c> (MobileNetV3). Fused as an epilogue. Its
/// gradient follows current PyTorch's <c>hardswish_backward</c> at the kinks:
/// <c>x &lt;= -3 ? 0 : x &lt; 3 ? x / 3 + 1/2 : 1</c>, so it is 0 at -3 and 1 at 3. The property must be of type <see cref="ActivationLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class HardswishAttribute : Attribute
{
}

/// <summary>
/// <c>x * tanh(softplus(x))</c>, as PyTorch's <c>nn.Mish</c>, with softplus's threshold (<c>softplus(x) = x</c> for
/// <c>x &gt; 20</c>). Fused as an epilogue; its gradient is PyTorch's <c>mish_backward</c>,
/// <c>tanh(sp) + x sigmoid(x) (1 - tanh^2(sp))</c>. The property must be of type <see cref="ActivationLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class MishAttribute : Attribute
{
}
