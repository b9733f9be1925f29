using System;
using System.Numerics;

namespace FusedLayers.Training;

/// <summary>
/// The element-wise optimizer updates, vectorised with <see cref="Vector{T}"/> (the widest vector the
/// JIT uses for it, scalar when hardware intrinsics are off) and a scalar tail that performs exactly the
/// same float32 operations in the same order (no fused multiply-add), so every element gets the same
/// result on every path. Memory-bound loops: one pass over each array.
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>Scalars of one SGD step, already rounded to float32 as PyTorch's kernels do.</summary>
    internal readonly record struct SgdStep(float LearningRate, float Momentum, float OneMinusDampening, float WeightDecay, bool Nesterov, bool FirstStep);

    /// <summary>Scalars of one Adam/AdamW step.</summary>
    /// <param name="Decay">Multiplier of the parameter before the update: <c>1 - lr * weight_decay</c> for AdamW, else 1.</param>
    /// <param name="L2">Weight decay added to the gradient (Adam), else 0.</param>
    /// <param name="OneMinusBeta1"><c>1 - beta1</c>, the weight of <c>lerp</c>.</param>
    /// <param name="Beta2"><c>beta2</c>.</param>
    /// <param name="OneMinusBeta2"><c>1 - beta2</c>.</param>
    /// <param name="BiasCorrection2Sqrt"><c>sqrt(1 - beta2^t)</c>.</param>
    /// <param name="Eps"><c>eps</c>.</param>
    /// <param name="NegativeStepSize"><c>-lr / (1 - beta1^t)</c>.</param>
    /// <param name="AmsGrad">Whether the running maximum of the second moment is used.</param>
    internal readonly record struct AdamStep(
        float Decay, float L2, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float BiasCorrection2Sqrt, float Eps, float NegativeStepSize, bool AmsGrad);

    /// <summary>One SGD step over a parameter (see <see cref="Training.Sgd"/> for the formula).</summary>
    internal static void Sgd(in SgdStep s, Span<float> p, ReadOnlySpan<float> grad, Span<float> buffer)
    {
        bool momentum = s.Momentum != 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var lr = new Vector<float>(s.LearningRate);
            var mu = new Vector<float>(s.Momentum);
            var damp = new Vector<float>(s.OneMinusDampening);
            var wd = new Vector<float>(s.WeightDecay);
            for (; i <= p.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var w = new Vector<float>(p[i..]);
                var g = new Vector<float>(grad[i..]);
                if (s.WeightDecay != 0)
                {
                    g += wd * w;
                }

                if (momentum)
                {
                    Vector<float> b = s.FirstStep ? g : (new Vector<float>(buffer[i..]) * mu) + (damp * g);
                    b.CopyTo(buffer[i..]);
                    g = s.Nesterov ? g + (mu * b) : b;
                }

                (w - (lr * g)).CopyTo(p[i..]);
            }
        }

        for (; i < p.Length; i++)
        {
            float g = grad[i];
            if (s.WeightDecay != 0)
            {
                g += s.WeightDecay * p[i];
            }

            if (momentum)
            {
                float b = s.FirstStep ? g : (buffer[i] * s.Momentum) + (s.OneMinusDampening * g);
                buffer[i] = b;
                g = s.Nesterov ? g + (s.Momentum * b) : b;
            }

            p[i] -= s.LearningRate * g;
        }
    }

    /// <summary>One Adam or AdamW step over a parameter (see <see cref="Training.Adam"/> for the formula).</summary>
    internal static void Adam(in AdamStep s, Span<float> p, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, Span<float> vMax)
    {
        // torch.lerp(m, g, w): m + w * (g - m) when |w| < 0.5, else g - (g - m) * (1 - w).
        bool fromEnd = !(MathF.Abs(s.OneMinusBeta1) < 0.5f);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var decay = new Vector<float>(s.Decay);
            var l2 = new Vector<float>(s.L2);
            var a1 = new Vector<float>(s.OneMinusBeta1);
            var b2 = new Vector<float>(s.Beta2);
            var a2 = new Vector<float>(s.OneMinusBeta2);
            var bc2 = new Vector<float>(s.BiasCorrection2Sqrt);
            var eps = new Vector<float>(s.Eps);
            var step = new Vector<float>(s.NegativeStepSize);
            var a1Complement = new Vector<float>(1f - s.OneMinusBeta1);
            for (; i <= p.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var w = new Vector<float>(p[i..]);
                var g = new Vector<float>(grad[i..]);
                if (s.L2 != 0)
                {
                    g += l2 * w;
                }

                if (s.Decay != 1)
                {
                    w *= decay;
                }

                var mi = new Vector<float>(m[i..]);
                mi = fromEnd ? g - ((g - mi) * a1Complement) : mi + (a1 * (g - mi));
                mi.CopyTo(m[i..]);
                Vector<float> vi = (new Vector<float>(v[i..]) * b2) + (a2 * g * g);
                vi.CopyTo(v[i..]);
                if (s.AmsGrad)
                {
                    vi = Vector.Max(new Vector<float>(vMax[i..]), vi);
                    vi.CopyTo(vMax[i..]);
                }

                Vector<float> denom = (Vector.SquareRoot(vi) / bc2) + eps;
                (w + (step * (mi / denom))).CopyTo(p[i..]);
            }
        }

        for (; i < p.Length; i++)
        {
            float w = p[i];
            float g = grad[i];
            if (s.L2 != 0)
            {
                g += s.L2 * w;
            }

            if (s.Decay != 1)
            {
                w *= s.Decay;
            }

            float mi = m[i];
            mi = fromEnd ? g - ((g - mi) * (1f - s.OneMinusBeta1)) : mi + (s.OneMinusBeta1 * (g - mi));
            m[i] = mi;
            float vi = (v[i] * s.Beta2) + (s.OneMinusBeta2 * g * g);
            v[i] = vi;
            if (s.AmsGrad)
            {
                vi = MathF.Max(vMax[i], vi);
                vMax[i] = vi;
            }

            float denom = (MathF.Sqrt(vi) / s.BiasCorrection2Sqrt) + s.Eps;
            p[i] = w + (s.NegativeStepSize * (mi / denom));
        }
    }
}
