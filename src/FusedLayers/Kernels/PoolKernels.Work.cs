using System;
using System.Buffers;
using FusedLayers.Execution;

namespace FusedLayers.Kernels;

/// <summary>
/// The per-path entry points of <see cref="PoolKernels"/> (internal: tests force a path through them) and the
/// parallel loop body: one index per block of planes. The entry points pin their spans for the region and
/// hand the body raw pointers; each thread caches its own body, so a region allocates nothing.
/// </summary>
public static unsafe partial class PoolKernels
{
    /// <summary>The operation a <see cref="PlaneWork"/> runs.</summary>
    private enum PoolOperation
    {
        MaxForward,
        MaxBackward,
        AvgForward,
        AvgBackward,
        GlobalForward,
        GlobalBackward,
    }

    /// <summary>Max pooling on <paramref name="isa"/>, unchecked (see <see cref="MaxForward(in KernelContext, in Pool2dGeometry, int, ReadOnlySpan{float}, Span{float}, Span{int})"/>).</summary>
    internal static void MaxForwardOn(
        KernelIsa isa, int threads, in Pool2dGeometry geometry, int batch, ReadOnlySpan<float> input, Span<float> output, Span<int> indices)
    {
        fixed (float* px = input)
        fixed (float* py = output)
        fixed (int* pi = indices)
        {
            Run(PoolOperation.MaxForward, isa, threads, geometry, batch, countIncludePad: false, 0, px, py, pi);
        }
    }

    /// <summary>Max-pooling backward, unchecked (see <see cref="MaxBackward"/>); scalar on every path.</summary>
    internal static void MaxBackwardOn(
        int threads, in Pool2dGeometry geometry, int batch, ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> indices, Span<float> gradInput)
    {
        fixed (float* pdy = gradOutput)
        fixed (int* pi = indices)
        fixed (float* pdx = gradInput)
        {
            Run(PoolOperation.MaxBackward, KernelIsa.Scalar, threads, geometry, batch, countIncludePad: false, 0, pdy, pdx, pi);
        }
    }

    /// <summary>Average pooling on <paramref name="isa"/>, unchecked (see <see cref="AvgForward(in KernelContext, in Pool2dGeometry, int, bool, ReadOnlySpan{float}, Span{float})"/>).</summary>
    internal static void AvgForwardOn(
        KernelIsa isa, int threads, in Pool2dGeometry geometry, int batch, bool countIncludePad, ReadOnlySpan<float> input, Span<float> output)
    {
        fixed (float* px = input)
        fixed (float* py = output)
        {
            Run(PoolOperation.AvgForward, isa, threads, geometry, batch, countIncludePad, 0, px, py, null);
        }
    }

    /// <summary>Average-pooling backward on <paramref name="isa"/>, unchecked (see <see cref="AvgBackward"/>).</summary>
    internal static void AvgBackwardOn(
        KernelIsa isa, int threads, in Pool2dGeometry geometry, int batch, bool countIncludePad, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        fixed (float* pdy = gradOutput)
        fixed (float* pdx = gradInput)
        {
            Run(PoolOperation.AvgBackward, isa, threads, geometry, batch, countIncludePad, 0, pdy, pdx, null);
        }
    }

    /// <summary>Global average pooling on <paramref name="isa"/>, unchecked (see <see cref="GlobalAvgForward"/>).</summary>
    internal static void GlobalAvgForwardOn(
        KernelIsa isa, int threads, int batch, int channels, int spatial, ReadOnlySpan<float> input, Span<float> output)
    {
        fixed (float* px = input)
        fixed (float* py = output)
        {
            Run(PoolOperation.GlobalForward, isa, threads, new Pool2dGeometry(channels, 1, 1, 1, 1, 0), batch, false, spatial, px, py, null);
        }
    }

    /// <summary>Global average-pooling backward on <paramref name="isa"/>, unchecked (see <see cref="GlobalAvgBackward"/>).</summary>
    internal static void GlobalAvgBackwardOn(
        KernelIsa isa, int threads, int batch, int channels, int spatial, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        fixed (float* pdy = gradOutput)
        fixed (float* pdx = gradInput)
        {
            Run(PoolOperation.GlobalBackward, isa, threads, new Pool2dGeometry(channels, 1, 1, 1, 1, 0), batch, false, spatial, pdy, pdx, null);
        }
    }

    private static void Run(
        PoolOperation operation, KernelIsa isa, int threads, in Pool2dGeometry geometry, int batch, bool countIncludePad, int spatial,
        float* source, float* destination, int* indices)
    {
        int planes = batch * geometry.Channels;
        if (planes == 0)
        {
            return;
        }

        int planeLength = spatial > 0 ? spatial : geometry.InputPlaneLength;
        int perItem = PlanesPerItem(planeLength);
        PlaneWork work = PlaneWork.Instance;
        work.Set(operation, isa, geometry, countIncludePad, spatial, planes, perItem, source, destination, indices);
        KernelThreadPool.Run(work, (planes + perItem - 1) / perItem, threads);
    }

    /// <summary>Runs one operation over a block of planes.</summary>
    private sealed class PlaneWork : ParallelWork
    {
        [ThreadStatic]
        private static PlaneWork? instance;

        private PoolOperation operation;
        private KernelIsa isa;
        private Pool2dGeometry geometry;
        private bool countIncludePad;
        private int spatial;
        private int planes;
        private int perItem;
        private float* source;
        private float* destination;
        private int* indices;
        private float* prologueScale;
        private float* prologueShift;
        private Activation prologueActivation;

        public static PlaneWork Instance => instance ??= new PlaneWork();

        /// <summary>Sets (or, with nulls, clears) the per-channel scale/shift + activation applied to each input plane first.</summary>
        public void SetPrologue(float* scale, float* shift, Activation activation)
        {
            prologueScale = scale;
            prologueShift = shift;
            prologueActivation = activation;
        }

        public void Set(
            PoolOperation operation, KernelIsa isa, in Pool2dGeometry geometry, bool countIncludePad, int spatial, int planes, int perItem,
            float* source, float* destination, int* indices)
        {
            this.operation = operation;
            this.isa = isa;
            this.geometry = geometry;
            this.countIncludePad = countIncludePad;
            this.spatial = spatial;
            this.planes = planes;
            this.perItem = perItem;
            this.source = source;
            this.destination = destination;
            this.indices = indices;
        }

        public override void Execute(int index)
        {
            int first = index * perItem, end = Math.Min(planes, first + perItem);
            Pool2dGeometry g = geometry;
            long inPlane = g.InputPlaneLength, outPlane = g.OutputPlaneLength;
            switch (operation)
            {
                case PoolOperation.GlobalForward:
                    for (int p = first; p < end; p++)
                    {
                        destination[p] = (float)(PlaneSum(isa, source + ((long)p * spatial), spatial) / spatial);
                    }

                    return;
                case PoolOperation.GlobalBackward:
                    for (int p = first; p < end; p++)
                    {
                        FillPlane(isa, destination + ((long)p * spatial), spatial, source[p] / spatial);
                    }

                    return;
                case PoolOperation.MaxBackward:
                    for (int p = first; p < end; p++)
                    {
                        MaxBackwardPlane(
                            new ReadOnlySpan<float>(source + (p * outPlane), (int)outPlane),
                            new ReadOnlySpan<int>(indices + (p * outPlane), (int)outPlane),
                            new Span<float>(destination + (p * inPlane), (int)inPlane));
                    }

                    return;
                default:
                    RunWithScratch(first, end, g, inPlane, outPlane);
                    return;
            }
        }

        /// <summary>The windowed operations, with scratch rows rented for the block.</summary>
        private void RunWithScratch(int first, int end, in Pool2dGeometry g, long inPlane, long outPlane)
        {
            int rowLength = g.InWidth + g.KernelSize;
            float[] floats = ArrayPool<float>.Shared.Rent(rowLength);
            int[] ints = ArrayPool<int>.Shared.Rent(rowLength);
            bool prologue = prologueScale != null;
            float[] planeArray = ArrayPool<float>.Shared.Rent(prologue ? (int)inPlane : 0);
            try
            {
                fixed (float* rowFloats = floats)
                fixed (int* rowInts = ints)
                fixed (float* planeBuffer = planeArray)
                {
                    for (int p = first; p < end; p++)
                    {
                        float* source = this.source;
                        long sourceOffset = p * inPlane;
                        if (prologue)
                        {
                            // BatchNorm-apply + activation of this plane into a cache-resident buffer, pooled from there.
                            int c = p % g.Channels;
                            ActivationMath.Forward(
                                isa, prologueActivation, new ReadOnlySpan<float>(source + sourceOffset, (int)inPlane), prologueScale[c], prologueShift[c],
                                default, default, new Span<float>(planeBuffer, (int)inPlane));
                            source = planeBuffer;
                            sourceOffset = 0;
                        }

                        switch (operation)
                        {
                            case PoolOperation.MaxForward:
                                MaxPlane(isa, g, source + sourceOffset, destination + (p * outPlane), indices == null ? null : indices + (p * outPlane), rowFloats, rowInts);
                                break;
                            case PoolOperation.AvgForward:
                                AvgPlane(isa, g, countIncludePad, source + sourceOffset, destination + (p * outPlane), rowFloats);
                                break;
                            default:
                                AvgBackwardPlane(isa, g, countIncludePad, source + (p * outPlane), destination + (p * inPlane), rowFloats);
                                break;
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(floats);
                ArrayPool<int>.Shared.Return(ints);
                ArrayPool<float>.Shared.Return(planeArray);
            }
        }
    }
}
