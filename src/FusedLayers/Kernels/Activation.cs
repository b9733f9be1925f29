namespace FusedLayers.Kernels;

/// <summary>The element-wise activations a kernel can apply as its epilogue.</summary>
public enum ActivationKind
{
    /// <summary>No activation: <c>y = x</c>.</summary>
    Identity,

    /// <summary><c>max(0, x)</c>, PyTorch's <c>nn.ReLU</c>.</summary>
    ReLU,

    /// <summary><c>x &gt; 0 ? x : negative_slope * x</c>, PyTorch's <c>nn.LeakyReLU</c>.</summary>
    LeakyReLU,

    /// <summary><c>min(max(0, x), 6)</c>, PyTorch's <c>nn.ReLU6</c>.</summary>
    ReLU6,

    /// <summary><c>x * sigmoid(x)</c>, PyTorch's <c>nn.SiLU</c>.</summary>
    SiLU,

    /// <summary><c>x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))</c>, PyTorch's <c>nn.GELU()</c>.</summary>
    Gelu,

    /// <summary><c>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c>, PyTorch's <c>nn.GELU(approximate='tanh')</c>.</summary>
    GeluTanh,

    /// <summary><c>1 / (1 + exp(-x))</c>, PyTorch's <c>nn.Sigmoid</c>.</summary>
    Sigmoid,

    /// <summary><c>tanh(x)</c>, PyTorch's <c>nn.Tanh</c>.</summary>
    Tanh,

    /// <summary><c>x * min(max(x + 3, 0), 6) / 6</c>, PyTorch's <c>nn.Hardswish</c>.</summary>
    Hardswish,

    /// <summary><c>x * tanh(softplus(x))</c>, PyTorch's <c>nn.Mish</c>.</summary>
    Mish,
}

/// <summary>An activation and its parameter (the negative slope of <see cref="ActivationKind.LeakyReLU"/>).</summary>
/// <param name="Kind">Which activation.</param>
/// <param name="NegativeSlope">Slope for <c>x &lt;= 0</c>; used by <see cref="ActivationKind.LeakyReLU"/> only.</param>
public readonly record struct Activation(ActivationKind Kind, float NegativeSlope = 0f)
{
    /// <summary>No activation.</summary>
    public static Activation Identity => default;

    /// <summary>ReLU.</summary>
    public static Activation ReLU => new(ActivationKind.ReLU);

    /// <summary>ReLU6.</summary>
    public static Activation ReLU6 => new(ActivationKind.ReLU6);

    /// <summary>SiLU (swish).</summary>
    public static Activation SiLU => new(ActivationKind.SiLU);

    /// <summary>Exact GELU (erf).</summary>
    public static Activation Gelu => new(ActivationKind.Gelu);

    /// <summary>GELU with the tanh approximation.</summary>
    public static Activation GeluTanh => new(ActivationKind.GeluTanh);

    /// <summary>Logistic sigmoid.</summary>
    public static Activation Sigmoid => new(ActivationKind.Sigmoid);

    /// <summary>Hyperbolic tangent.</summary>
    public static Activation Tanh => new(ActivationKind.Tanh);

    /// <summary>Hardswish (MobileNetV3).</summary>
    public static Activation Hardswish => new(ActivationKind.Hardswish);

    /// <summary>Mish.</summary>
    public static Activation Mish => new(ActivationKind.Mish);

    /// <summary>LeakyReLU with <paramref name="negativeSlope"/> (PyTorch's default is 0.01).</summary>
    /// <param name="negativeSlope">Slope for <c>x &lt;= 0</c>.</param>
    /// <returns>The activation.</returns>
    public static Activation LeakyReLU(float negativeSlope = 0.01f) => new(ActivationKind.LeakyReLU, negativeSlope);

    /// <summary>Whether this is the identity.</summary>
    public bool IsIdentity => Kind == ActivationKind.Identity;
}
