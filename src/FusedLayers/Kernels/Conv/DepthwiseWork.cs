using System;
using System.Buffers;
using System.Runtime.Intrinsics;
using FusedLayers.Execution;
using FusedLayers.Kernels.Gemm;

namespace FusedLayers.Kernels.Conv;

/// <summary>
/// The parallel loop body of <see cref="DepthwiseConv{TPath}"/>: one index per (sample, input channel) for the
/// forward pass and the input gradient, one per input channel for the parameter gradients. Each index writes
/// only its own planes (or its own channels' gradients), so no reduction crosses indices. Scratch comes from the
/// shared array pools and one instance is cached per thread: a call allocates nothing.
/// </summary>
/// <typeparam name="TPath">The instruction-set path (its width picks the vector operations).</typeparam>
internal sealed unsafe class DepthwiseWork<TPath> : ParallelWork
    where TPath : struct, IGemmPath
{
    [ThreadStatic]
    private static DepthwiseWork<TPath>? cached;

    private Operation operation;
    private Conv2dGeometry geometry;
    private float* source;
    private float* weight;
    private float* bias;
    private float* destination;
    private float* gradOutput;
    private float* gradWeight;
    private float* gradBias;
    private Activation activation;
    private double* planeMean;
    private double* planeM2;
    private int batch;

    private enum Operation
    {
        Forward,
        BackwardInput,
        BackwardParameters,
    }

    /// <summary>The calling thread's instance.</summary>
    public static DepthwiseWork<TPath> Instance => cached ??= new DepthwiseWork<TPath>();

    /// <summary>
    /// <c>y = x * w + b</c> then the activation, per (sample, channel); with <paramref name="planeMean"/> non-null,
    /// also each output plane's mean and sum of squared deviations (float64, <c>batch * Cout</c> each).
    /// </summary>
    public void Forward(
        int threads, in Conv2dGeometry g, int batch, float* x, float* w, float* b, float* y, Activation activation, double* planeMean, double* planeM2)
    {
        Start(Operation.Forward, g, batch);
        source = x;
        weight = w;
        bias = b;
        destination = y;
        this.activation = activation;
        this.planeMean = planeMean;
        this.planeM2 = planeM2;
        KernelThreadPool.Run(this, batch * g.InChannels, threads);
        Clear();
    }

    /// <summary>Input gradient <paramref name="dx"/> (overwritten) from the output gradient <paramref name="dy"/>.</summary>
    public void BackwardInput(int threads, in Conv2dGeometry g, int batch, float* dy, float* w, float* dx)
    {
        Start(Operation.BackwardInput, g, batch);
        gradOutput = dy;
        weight = w;
        destination = dx;
        KernelThreadPool.Run(this, batch * g.InChannels, threads);
        Clear();
    }

    /// <summary>Weight gradient (and bias gradient when <paramref name="db"/> is non-null), accumulated.</summary>
    public void BackwardParameters(int threads, in Conv2dGeometry g, int batch, float* x, float* dy, float* dw, float* db)
    {
        Start(Operation.BackwardParameters, g, batch);
        source = x;
        gradOutput = dy;
        gradWeight = dw;
        gradBias = db;
        KernelThreadPool.Run(this, g.InChannels, threads);
        Clear();
    }

    /// <inheritdoc />
    public override void Execute(int index)
    {
        if (TPath.Width == ConvVectors512.Width)
        {
            Execute<ConvVectors512, Vector512<float>>(index);
        }
        else
        {
            Execute<ConvVectors256, Vector256<float>>(index);
        }
    }

    private void Start(Operation operation, in Conv2dGeometry g, int batch)
    {
        this.operation = operation;
        geometry = g;
        this.batch = batch;
        activation = Activation.Identity;
    }

    private void Clear()
    {
        source = weight = bias = destination = gradOutput = gradWeight = gradBias = null;
        planeMean = planeM2 = null;
    }

    private void Execute<TOps, TVector>(int index)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int k = g.KernelSize, kk = k * k, d = g.Dilation;
        DepthwisePlane plane = operation == Operation.BackwardInput
            ? new DepthwisePlane(g.OutHeight, g.OutWidth, (d * (k - 1)) - g.Padding, g.Stride, 1, d, k, g.InHeight, g.InWidth, TOps.Width)
            : new DepthwisePlane(g.InHeight, g.InWidth, g.Padding, 1, g.Stride, d, k, g.OutHeight, g.OutWidth, TOps.Width);
        int block = DepthwiseLoops<TOps, TVector>.Block;
        int paddedUnits = plane.PaddedUnitCount(TOps.Width, block);
        float[] bufferArray = ArrayPool<float>.Shared.Rent(plane.Length);
        float[] planeArray = ArrayPool<float>.Shared.Rent(paddedUnits * TOps.Width);
        int[] tapArray = ArrayPool<int>.Shared.Rent(kk);
        int[] unitArray = ArrayPool<int>.Shared.Rent(paddedUnits);
        float[] accumulatorArray = ArrayPool<float>.Shared.Rent(operation == Operation.BackwardParameters ? kk * TOps.Width : 0);
        try
        {
            plane.WriteTapOffsets(tapArray);
            plane.WriteUnitOffsets(unitArray.AsSpan(0, paddedUnits), TOps.Width);
            var scratch = new Scratch(plane, paddedUnits);
            fixed (float* buffer = bufferArray)
            fixed (float* padded = planeArray)
            fixed (int* taps = tapArray)
            fixed (int* units = unitArray)
            fixed (float* accumulators = accumulatorArray)
            {
                scratch.Buffer = buffer;
                scratch.Padded = padded;
                scratch.Taps = taps;
                scratch.Units = units;
                scratch.Accumulators = accumulators;
                switch (operation)
                {
                    case Operation.Forward:
                        ForwardChannel<TOps, TVector>(index, scratch);
                        break;
                    case Operation.BackwardInput:
                        BackwardInputChannel<TOps, TVector>(index, scratch);
                        break;
                    default:
                        BackwardParametersChannel<TOps, TVector>(index, scratch);
                        break;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(accumulatorArray);
            ArrayPool<int>.Shared.Return(unitArray);
            ArrayPool<int>.Shared.Return(tapArray);
            ArrayPool<float>.Shared.Return(planeArray);
            ArrayPool<float>.Shared.Return(bufferArray);
        }
    }

    /// <summary>The output planes of input channel <c>index % Cin</c> of sample <c>index / Cin</c>.</summary>
    private void ForwardChannel<TOps, TVector>(int index, in Scratch scratch)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int cin = g.InChannels, cout = g.OutChannels, m = g.GroupOutChannels, kk = g.KernelSize * g.KernelSize;
        int n = index / cin, ci = index % cin;
        int planeLength = g.OutputPlaneLength;
        bool relu = activation.Kind == ActivationKind.ReLU;
        bool otherActivation = activation.Kind is not (ActivationKind.Identity or ActivationKind.ReLU);
        scratch.Plane.Fill(source + ((((nint)n * cin) + ci) * g.InHeight * g.InWidth), scratch.Buffer);
        for (int j = 0; j < m; j++)
        {
            int co = (ci * m) + j;
            float* y = destination + ((((nint)n * cout) + co) * planeLength);
            DepthwiseLoops<TOps, TVector>.Correlate(
                scratch.PaddedUnitCount, kk, scratch.Buffer, scratch.Taps, scratch.Units, weight + ((nint)co * kk), scratch.Padded, bias != null ? bias[co] : 0f, false, relu);
            DepthwiseLoops<TOps, TVector>.CopyOut(scratch.Plane, scratch.Padded, y);
            if (otherActivation)
            {
                ActivationKernels.ApplyInPlace(TPath.Isa, activation, new Span<float>(y, planeLength));
            }

            if (planeMean != null)
            {
                // Two passes over the plane just written (still in cache), float64.
                double mean = TPath.Sum(y, planeLength) / planeLength;
                planeMean[(n * cout) + co] = mean;
                planeM2[(n * cout) + co] = TPath.SquaredDeviations(y, planeLength, mean);
            }
        }
    }

    /// <summary>The input-gradient plane of input channel <c>index % Cin</c> of sample <c>index / Cin</c>, summed over its output channels in order.</summary>
    private void BackwardInputChannel<TOps, TVector>(int index, in Scratch scratch)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int cin = g.InChannels, cout = g.OutChannels, m = g.GroupOutChannels, kk = g.KernelSize * g.KernelSize;
        int n = index / cin, ci = index % cin;
        int outPlane = g.OutputPlaneLength;
        float* dx = destination + ((((nint)n * cin) + ci) * g.InHeight * g.InWidth);
        float* rotated = stackalloc float[Math.Min(kk, 256)];
        float[]? rotatedArray = kk > 256 ? ArrayPool<float>.Shared.Rent(kk) : null;
        try
        {
            fixed (float* rented = rotatedArray)
            {
                float* r = rotatedArray != null ? rented : rotated;
                for (int j = 0; j < m; j++)
                {
                    int co = (ci * m) + j;
                    float* w = weight + ((nint)co * kk);
                    for (int t = 0; t < kk; t++)
                    {
                        r[kk - 1 - t] = w[t];
                    }

                    scratch.Plane.Fill(gradOutput + ((((nint)n * cout) + co) * outPlane), scratch.Buffer);
                    DepthwiseLoops<TOps, TVector>.Correlate(
                        scratch.PaddedUnitCount, kk, scratch.Buffer, scratch.Taps, scratch.Units, r, scratch.Padded, 0f, accumulate: j > 0, relu: false);
                }

                DepthwiseLoops<TOps, TVector>.CopyOut(scratch.Plane, scratch.Padded, dx);
            }
        }
        finally
        {
            if (rotatedArray != null)
            {
                ArrayPool<float>.Shared.Return(rotatedArray);
            }
        }
    }

    /// <summary>The weight (and bias) gradients of the output channels of input channel <paramref name="ci"/>, samples in order.</summary>
    private void BackwardParametersChannel<TOps, TVector>(int ci, in Scratch scratch)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int cin = g.InChannels, cout = g.OutChannels, m = g.GroupOutChannels, kk = g.KernelSize * g.KernelSize;
        int oh = g.OutHeight, ow = g.OutWidth, pw = scratch.Plane.PaddedOutWidth, outPlane = g.OutputPlaneLength;
        float* dyPadded = scratch.Padded;
        double[] sumArray = ArrayPool<double>.Shared.Rent(m * (kk + 1));
        try
        {
            Span<double> sums = sumArray.AsSpan(0, m * (kk + 1));
            sums.Clear();

            // Rows padded with zeros to whole vectors, and zero padding units: the extra lanes add nothing.
            new Span<float>(dyPadded, scratch.PaddedUnitCount * TOps.Width).Clear();
            fixed (double* tapSums = sumArray)
            {
                double* biasSums = tapSums + ((nint)m * kk);
                for (int n = 0; n < batch; n++)
                {
                    scratch.Plane.Fill(source + ((((nint)n * cin) + ci) * g.InHeight * g.InWidth), scratch.Buffer);
                    for (int j = 0; j < m; j++)
                    {
                        int co = (ci * m) + j;
                        float* dy = gradOutput + ((((nint)n * cout) + co) * outPlane);
                        for (int oy = 0; oy < oh; oy++)
                        {
                            new ReadOnlySpan<float>(dy + ((nint)oy * ow), ow).CopyTo(new Span<float>(dyPadded + ((nint)oy * pw), ow));
                        }

                        DepthwiseLoops<TOps, TVector>.TapDots(
                            scratch.PaddedUnitCount, kk, scratch.Buffer, scratch.Taps, scratch.Units, dyPadded, scratch.Accumulators, tapSums + ((nint)j * kk));
                        if (gradBias != null)
                        {
                            biasSums[j] += TPath.Sum(dy, outPlane);
                        }
                    }
                }

                for (int j = 0; j < m; j++)
                {
                    int co = (ci * m) + j;
                    for (int t = 0; t < kk; t++)
                    {
                        gradWeight[((nint)co * kk) + t] += (float)tapSums[(j * kk) + t];
                    }

                    if (gradBias != null)
                    {
                        gradBias[co] += (float)biasSums[j];
                    }
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(sumArray);
        }
    }

    /// <summary>One work item's plane description and pinned scratch.</summary>
    private struct Scratch(DepthwisePlane plane, int paddedUnitCount)
    {
        /// <summary>The padded, phase-split source plane's layout.</summary>
        public readonly DepthwisePlane Plane = plane;

        /// <summary>Units rounded up to whole blocks (what the loops run over).</summary>
        public readonly int PaddedUnitCount = paddedUnitCount;

        /// <summary>The source plane buffer (<see cref="DepthwisePlane.Length"/> floats).</summary>
        public float* Buffer;

        /// <summary>An output (or output-gradient) plane with padded rows, <see cref="PaddedUnitCount"/> vectors.</summary>
        public float* Padded;

        /// <summary>Tap offsets, <c>k * k</c>.</summary>
        public int* Taps;

        /// <summary>Unit offsets, <see cref="PaddedUnitCount"/>.</summary>
        public int* Units;

        /// <summary>Per-tap vector accumulators of the weight gradient, <c>k * k * W</c> floats.</summary>
        public float* Accumulators;
    }
}
