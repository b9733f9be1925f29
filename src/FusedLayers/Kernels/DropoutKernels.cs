using System;
using System.Runtime.Intrinsics;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// Training-mode dropout over a flat float32 tensor: <c>output = input * maskScale</c> with
/// <c>maskScale[i] = keep(seed, step, i) ? 1 / (1 - p) : 0</c> drawn from the counter-based
/// <see cref="DropoutMask"/>, so the same <c>(seed, step)</c> gives the same mask on every path and thread count,
/// and equals the mask of <see cref="Reference.ReferenceDropout"/>. In inference mode dropout is the identity and
/// needs no kernel; for <c>p = 0</c> the mask is all ones (output = input), for <c>p = 1</c> all zeros
/// (output = input * 0, as PyTorch).
/// </summary>
/// <remarks>
/// <para>The mask is drawn in scalar code: each element costs one 64-bit SplitMix64 finalizer (two 64 x 64-bit
/// multiplies), which AVX2 has no instruction for (<c>vpmullq</c> is AVX-512DQ; .NET emulates 64-bit vector
/// multiplies from 32-bit ones), and a scalar draw is the same bits on every path by construction. The
/// <c>input * maskScale</c> multiply (forward) and <c>gradOutput * maskScale</c> (backward) are vectorised
/// (Vector512 / Vector256 / scalar tail). Work is split into fixed chunks of the flat index range, drawn and
/// multiplied while hot in cache, on <see cref="KernelThreadPool"/>; nothing is allocated.</para>
/// </remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static unsafe class DropoutKernels
{
    /// <summary>Elements per parallel work item (drawn, then multiplied while in L1).</summary>
    private const int ChunkLength = 4096;

    /// <summary>
    /// Training forward: writes <paramref name="maskScale"/> (<c>1 / (1 - p)</c> where kept, 0 where dropped; keep it
    /// for <see cref="Backward"/>) and <c>output = input * maskScale</c>. <paramref name="output"/> may be
    /// <paramref name="input"/>.
    /// </summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="p">Drop probability in <c>[0, 1]</c>.</param>
    /// <param name="seed">The layer's seed.</param>
    /// <param name="step">The training step (the caller advances it once per training forward pass).</param>
    /// <param name="input">Input, any shape, flat row-major (element <c>i</c> uses mask index <c>i</c>).</param>
    /// <param name="output">Output, same length.</param>
    /// <param name="maskScale">Receives the per-element multiplier, same length.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside <c>[0, 1]</c>.</exception>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="input"/>.</exception>
    public static void Forward(
        in KernelContext context, double p, ulong seed, ulong step, ReadOnlySpan<float> input, Span<float> output, Span<float> maskScale)
    {
        DropoutMask.CheckProbability(p);
        CheckLength(output.Length, input.Length, nameof(output));
        CheckLength(maskScale.Length, input.Length, nameof(maskScale));
        ForwardOn(context.NativePathFor(KernelFamily.Dropout), context.Threads, p, seed, step, input, output, maskScale);
    }

    /// <summary>Backward: <c>gradInput = gradOutput * maskScale</c> with the mask of the forward pass. <paramref name="gradInput"/> may be <paramref name="gradOutput"/>.</summary>
    /// <param name="context">Instruction-set path and threads.</param>
    /// <param name="gradOutput">Gradient of the output.</param>
    /// <param name="maskScale">The multiplier written by <see cref="Forward"/>.</param>
    /// <param name="gradInput">Receives the gradient of the input, same length.</param>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="gradOutput"/>.</exception>
    public static void Backward(in KernelContext context, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> maskScale, Span<float> gradInput)
    {
        CheckLength(maskScale.Length, gradOutput.Length, nameof(maskScale));
        CheckLength(gradInput.Length, gradOutput.Length, nameof(gradInput));
        BackwardOn(context.NativePathFor(KernelFamily.Dropout), context.Threads, gradOutput, maskScale, gradInput);
    }

    /// <summary>The forward pass on <paramref name="isa"/>, without length checks (tests force a path through it).</summary>
    internal static void ForwardOn(
        KernelIsa isa, int threads, double p, ulong seed, ulong step, ReadOnlySpan<float> input, Span<float> output, Span<float> maskScale)
    {
        fixed (float* px = input)
        fixed (float* py = output)
        fixed (float* pm = maskScale)
        {
            ChunkWork work = ChunkWork.Instance;
            work.Set(isa, input.Length, draw: true, DropoutMask.StreamKey(seed, step), DropoutMask.Threshold(p), DropoutMask.Scale(p), px, pm, py);
            KernelThreadPool.Run(work, Chunks(input.Length), threads);
        }
    }

    /// <summary>The backward pass on <paramref name="isa"/>, without length checks.</summary>
    internal static void BackwardOn(KernelIsa isa, int threads, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> maskScale, Span<float> gradInput)
    {
        fixed (float* pdy = gradOutput)
        fixed (float* pm = maskScale)
        fixed (float* pdx = gradInput)
        {
            ChunkWork work = ChunkWork.Instance;
            work.Set(isa, gradOutput.Length, draw: false, 0, 0, 0f, pdy, pm, pdx);
            KernelThreadPool.Run(work, Chunks(gradOutput.Length), threads);
        }
    }

    private static int Chunks(int length) => (int)(((long)length + ChunkLength - 1) / ChunkLength);

    private static void CheckLength(int length, int required, string name)
    {
        if (length < required)
        {
            throw new ArgumentException($"{name}: expected at least {required} elements, got {length}.", name);
        }
    }

    /// <summary><c>z = x * m</c> element-wise; <paramref name="z"/> may alias <paramref name="x"/>.</summary>
    private static void Multiply(KernelIsa isa, float* x, float* m, float* z, int length)
    {
        int i = 0;
        if (isa == KernelIsa.Avx512)
        {
            for (; i <= length - 16; i += 16)
            {
                (Vector512.Load(x + i) * Vector512.Load(m + i)).Store(z + i);
            }
        }
        else if (isa == KernelIsa.Avx2)
        {
            for (; i <= length - 8; i += 8)
            {
                (Vector256.Load(x + i) * Vector256.Load(m + i)).Store(z + i);
            }
        }

        for (; i < length; i++)
        {
            z[i] = x[i] * m[i];
        }
    }

    /// <summary>One chunk: optionally draws the mask, then multiplies.</summary>
    private sealed class ChunkWork : ParallelWork
    {
        [ThreadStatic]
        private static ChunkWork? instance;

        private KernelIsa isa;
        private int length;
        private bool draw;
        private ulong key;
        private ulong threshold;
        private float scale;
        private float* source;
        private float* mask;
        private float* destination;

        public static ChunkWork Instance => instance ??= new ChunkWork();

        public void Set(KernelIsa isa, int length, bool draw, ulong key, ulong threshold, float scale, float* source, float* mask, float* destination)
        {
            this.isa = isa;
            this.length = length;
            this.draw = draw;
            this.key = key;
            this.threshold = threshold;
            this.scale = scale;
            this.source = source;
            this.mask = mask;
            this.destination = destination;
        }

        public override void Execute(int index)
        {
            int first = index * ChunkLength;
            int count = Math.Min(ChunkLength, length - first);
            if (draw)
            {
                for (int i = first; i < first + count; i++)
                {
                    mask[i] = DropoutMask.KeepBits(DropoutMask.Bits(key, i), threshold) ? scale : 0f;
                }
            }

            Multiply(isa, source + first, mask + first, destination + first, count);
        }
    }
}
