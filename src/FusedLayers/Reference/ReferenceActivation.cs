using System;
using System.Collections.Generic;
using System.Globalization;
using FusedLayers.Kernels;

namespace FusedLayers.Reference;

/// <summary>
/// The element-wise activations in float64 (PyTorch's <c>nn.LeakyReLU</c>, <c>nn.ReLU6</c>, <c>nn.SiLU</c>,
/// <c>nn.GELU</c> with <c>approximate='none'</c> or <c>'tanh'</c>, <c>nn.Sigmoid</c>, <c>nn.Tanh</c>,
/// <c>nn.Hardswish</c>, <c>nn.Mish</c> and <c>nn.ReLU</c>), any shape. Backward multiplies by the derivative at the saved input, with PyTorch's
/// conventions at the kinks: ReLU and LeakyReLU take the <c>x &lt;= 0</c> branch at 0, ReLU6 passes no
/// gradient at 0 and at 6 (<c>hardtanh_backward</c>), Hardswish takes its outer branches at -3 and 3
/// (<c>hardswish_backward</c>: 0 and 1).
/// </summary>
public sealed class ReferenceActivation : IReferenceLayer
{
    private const double GeluBeta = 0.79788456080286535588; // sqrt(2 / pi)
    private const double GeluKappa = 0.044715;
    private ReferenceTensor? savedInput;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Layer name.</param>
    /// <param name="activation">Which activation (and LeakyReLU's negative slope).</param>
    public ReferenceActivation(string name, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Enum.IsDefined(activation.Kind))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation.Kind, "Unknown activation.");
        }

        Name = name;
        Activation = activation;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The activation.</summary>
    public Activation Activation { get; }

    /// <inheritdoc />
    public bool Training { get; set; } = true;

    /// <inheritdoc />
    public IReadOnlyList<ReferenceParameter> Parameters => [];

    /// <summary>The activation of one value.</summary>
    /// <param name="activation">Which activation.</param>
    /// <param name="x">Input.</param>
    /// <returns><c>f(x)</c>.</returns>
    public static double Value(Activation activation, double x) => activation.Kind switch
    {
        ActivationKind.Identity => x,
        ActivationKind.ReLU => x < 0 ? 0 : x, // NaN stays NaN, as torch.relu
        ActivationKind.LeakyReLU => x > 0 ? x : x * activation.NegativeSlope,
        ActivationKind.ReLU6 => Math.Min(Math.Max(x, 0), 6),
        ActivationKind.SiLU => x * Sigmoid(x),
        ActivationKind.Gelu => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        ActivationKind.GeluTanh => 0.5 * x * (1 + Math.Tanh(GeluBeta * (x + (GeluKappa * x * x * x)))),
        ActivationKind.Sigmoid => Sigmoid(x),
        ActivationKind.Tanh => Math.Tanh(x),
        ActivationKind.Hardswish => x * Math.Min(Math.Max(x + 3, 0), 6) / 6,
        ActivationKind.Mish => x * Math.Tanh(Softplus(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>The derivative at one value (PyTorch's convention at the kinks).</summary>
    /// <param name="activation">Which activation.</param>
    /// <param name="x">Input.</param>
    /// <returns><c>f'(x)</c>.</returns>
    public static double Derivative(Activation activation, double x)
    {
        switch (activation.Kind)
        {
            case ActivationKind.Identity:
                return 1;
            case ActivationKind.ReLU:
                return x <= 0 ? 0 : 1; // threshold_backward: NaN passes the gradient on
            case ActivationKind.LeakyReLU:
                return x > 0 ? 1 : activation.NegativeSlope;
            case ActivationKind.ReLU6:
                return x <= 0 || x >= 6 ? 0 : 1; // hardtanh_backward
            case ActivationKind.SiLU:
                double s = Sigmoid(x);
                return s * (1 + (x * (1 - s)));
            case ActivationKind.Gelu:
                // d/dx x Phi(x) = Phi(x) + x phi(x).
                return (0.5 * (1 + Erf(x / Math.Sqrt(2)))) + (x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI));
            case ActivationKind.GeluTanh:
                double t = Math.Tanh(GeluBeta * (x + (GeluKappa * x * x * x)));
                return (0.5 * (1 + t)) + (0.5 * x * (1 - (t * t)) * GeluBeta * (1 + (3 * GeluKappa * x * x)));
            case ActivationKind.Sigmoid:
                double sig = Sigmoid(x);
                return sig * (1 - sig);
            case ActivationKind.Tanh:
                double th = Math.Tanh(x);
                return 1 - (th * th);
            case ActivationKind.Hardswish:
                return x <= -3 ? 0 : x < 3 ? (x / 3) + 0.5 : 1; // hardswish_backward: 0 at -3, 1 at 3, NaN passes the gradient on
            case ActivationKind.Mish:
                double tsp = Math.Tanh(Softplus(x));
                return tsp + (x * Sigmoid(x) * (1 - (tsp * tsp))); // mish_backward
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>
    /// The error function to float64 accuracy: <c>erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (2n+1)!!</c>,
    /// a series of positive terms (no cancellation) that converges for every x; beyond |x| = 6,
    /// <c>1 - erf</c> is below 1e-16.
    /// </summary>
    /// <param name="x">Argument.</param>
    /// <returns><c>erf(x)</c>.</returns>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        if (ax > 6)
        {
            return Math.Sign(x);
        }

        double term = ax, sum = ax;
        for (int n = 1; n < 500 && term > sum * 1e-17; n++)
        {
            term *= 2 * ax * ax / ((2 * n) + 1);
            sum += term;
        }

        double r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-ax * ax) * sum;
        return x < 0 ? -r : r;
    }

    /// <inheritdoc />
    public ReferenceTensor Forward(ReferenceTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = new ReferenceTensor(input.Shape);
        for (int i = 0; i < input.Length; i++)
        {
            output.Data[i] = Value(Activation, input.Data[i]);
        }

        savedInput = input.Clone();
        return output;
    }

    /// <inheritdoc />
    public ReferenceTensor Backward(ReferenceTensor gradOutput)
    {
        ReferenceShape.CheckGradOutput(Name, savedInput?.Shape, gradOutput);
        ReferenceTensor input = savedInput!;
        var gradInput = new ReferenceTensor(input.Shape);
        for (int i = 0; i < input.Length; i++)
        {
            gradInput.Data[i] = gradOutput.Data[i] * Derivative(Activation, input.Data[i]);
        }

        return gradInput;
    }

    /// <inheritdoc />
    public override string ToString() => Activation.Kind == ActivationKind.LeakyReLU
        ? string.Create(CultureInfo.InvariantCulture, $"{Name}: ReferenceActivation(LeakyReLU, negative_slope={Activation.NegativeSlope})")
        : $"{Name}: ReferenceActivation({Activation.Kind})";

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// <c>log(1 + e^x)</c>, PyTorch's softplus with its threshold (<c>x</c> above 20); <c>log1p</c> by Goldberg's
    /// <c>log(u) e / (u - 1)</c>, <c>u = 1 + e</c>, exact to float64 rounding where <c>e</c> is tiny.
    /// </summary>
    private static double Softplus(double x)
    {
        if (x > 20)
        {
            return x;
        }

        double e = Math.Exp(x);
        double u = 1 + e;
        return u == 1 ? e : Math.Log(u) * e / (u - 1);
    }
}
