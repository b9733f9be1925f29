using System;
using System.Buffers;
using System.Runtime.Intrinsics;
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
        float[] bufferArray = ArrayPool<float>.Shared.Rent(plane.Length);
        int[] tapArray = ArrayPool<int>.Shared.Rent(kk);
        try
        {
            plane.WriteTapOffsets(tapArray);
            fixed (float* buffer = bufferArray)
            fixed (int* taps = tapArray)
            {
                switch (operation)
                {
                    case Operation.Forward:
                        ForwardChannel<TOps, TVector>(index, plane, buffer, taps);
                        break;
                    case Operation.BackwardInput:
                        BackwardInputChannel<TOps, TVector>(index, plane, buffer, taps);
                        break;
                    default:
                        BackwardParametersChannel<TOps, TVector>(index, plane, buffer, taps);
                        break;
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(tapArray);
            ArrayPool<float>.Shared.Return(bufferArray);
        }
    }

    /// <summary>The output planes of input channel <c>index % Cin</c> of sample <c>index / Cin</c>.</summary>
    private void ForwardChannel<TOps, TVector>(int index, in DepthwisePlane plane, float* buffer, int* taps)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int cin = g.InChannels, cout = g.OutChannels, m = g.GroupOutChannels, kk = g.KernelSize * g.KernelSize;
        int n = index / cin, ci = index % cin;
        int planeLength = g.OutputPlaneLength;
        bool relu = activation.Kind == ActivationKind.ReLU;
        bool otherActivation = activation.Kind is not (ActivationKind.Identity or ActivationKind.ReLU);
        plane.Fill(source + ((((nint)n * cin) + ci) * g.InHeight * g.InWidth), buffer);
        for (int j = 0; j < m; j++)
        {
            int co = (ci * m) + j;
            float* y = destination + ((((nint)n * cout) + co) * planeLength);
            DepthwiseRows<TOps, TVector>.Correlate(plane, buffer, taps, weight + ((nint)co * kk), y, bias != null ? bias[co] : 0f, false, relu);
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
    private void BackwardInputChannel<TOps, TVector>(int index, in DepthwisePlane plane, float* buffer, int* taps)
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

                    plane.Fill(gradOutput + ((((nint)n * cout) + co) * outPlane), buffer);
                    DepthwiseRows<TOps, TVector>.Correlate(plane, buffer, taps, r, dx, 0f, accumulate: j > 0, relu: false);
                }
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
    private void BackwardParametersChannel<TOps, TVector>(int ci, in DepthwisePlane plane, float* buffer, int* taps)
        where TOps : struct, IConvVectors<TVector>
        where TVector : unmanaged
    {
        Conv2dGeometry g = geometry;
        int cin = g.InChannels, cout = g.OutChannels, m = g.GroupOutChannels, kk = g.KernelSize * g.KernelSize;
        int oh = g.OutHeight, ow = g.OutWidth, pw = plane.PaddedOutWidth, outPlane = g.OutputPlaneLength;
        float[] dyArray = ArrayPool<float>.Shared.Rent(oh * pw);
        double[] sumArray = ArrayPool<double>.Shared.Rent(m * (kk + 1));
        try
        {
            Span<double> sums = sumArray.AsSpan(0, m * (kk + 1));
            sums.Clear();
            fixed (float* dyPadded = dyArray)
            fixed (double* tapSums = sumArray)
            {
                double* biasSums = tapSums + ((nint)m * kk);
                for (int n = 0; n < batch; n++)
                {
                    plane.Fill(source + ((((nint)n * cin) + ci) * g.InHeight * g.InWidth), buffer);
                    for (int j = 0; j < m; j++)
                    {
                        int co = (ci * m) + j;
                        float* dy = gradOutput + ((((nint)n * cout) + co) * outPlane);

                        // Rows padded with zeros to whole vectors: the lanes past the row's end add nothing.
                        for (int oy = 0; oy < oh; oy++)
                        {
                            new ReadOnlySpan<float>(dy + ((nint)oy * ow), ow).CopyTo(new Span<float>(dyPadded + ((nint)oy * pw), ow));
                            new Span<float>(dyPadded + ((nint)oy * pw) + ow, pw - ow).Clear();
                        }

                        DepthwiseRows<TOps, TVector>.TapDots(plane, buffer, taps, dyPadded, tapSums + ((nint)j * kk));
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
            ArrayPool<float>.Shared.Return(dyArray);
        }
    }
}
