using System.Runtime.Intrinsics;

namespace FusedLayers.Kernels.Activations;

/// <summary>
/// One element-wise activation <c>f</c> and its derivative <c>f'</c>, on each ISA path, as static members
/// (TensorPrimitives' <c>IUnaryOperator</c> pattern): a driver takes the operator as a struct type parameter,
/// so the JIT compiles one loop per activation with the calls inlined, and no loop switches on the kind.
/// <para>
/// <c>alpha</c> is the activation's one parameter (LeakyReLU's negative slope), broadcast once per call by
/// the driver; operators without a parameter ignore it. Every width computes the same formula with the
/// same operations, so the scalar tail of a vector loop agrees with its vector body.
/// </para>
/// </summary>
internal interface IActivationOperator
{
    /// <summary><c>f(x)</c> of one value (scalar path and the tails of the vector paths).</summary>
    static abstract float Value(float x, float alpha);

    /// <summary><c>f(x)</c> lane by lane, 8 lanes.</summary>
    static abstract Vector256<float> Value(Vector256<float> x, Vector256<float> alpha);

    /// <summary><c>f(x)</c> lane by lane, 16 lanes.</summary>
    static abstract Vector512<float> Value(Vector512<float> x, Vector512<float> alpha);

    /// <summary><c>f'(x)</c> of one value, PyTorch's convention at kinks.</summary>
    static abstract float Derivative(float x, float alpha);

    /// <summary><c>f'(x)</c> lane by lane, 8 lanes.</summary>
    static abstract Vector256<float> Derivative(Vector256<float> x, Vector256<float> alpha);

    /// <summary><c>f'(x)</c> lane by lane, 16 lanes.</summary>
    static abstract Vector512<float> Derivative(Vector512<float> x, Vector512<float> alpha);
}
