using System;
using System.Collections.Generic;

namespace FusedLayers.Distributed;

/// <summary>
/// The trained parameters' gradients packed into buckets of about <c>bucketElements</c> floats (declaration order,
/// a parameter never split), so that a model with many small tensors makes few allreduce calls. Averaging packs a
/// bucket, sums it across ranks, and writes <c>sum / N</c> back into each gradient.
/// </summary>
internal sealed class GradientBuckets
{
    private readonly List<Bucket> buckets = [];

    public GradientBuckets(IReadOnlyList<Parameter> parameters, int bucketElements)
    {
        var current = new List<Parameter>();
        int length = 0;
        foreach (Parameter p in parameters)
        {
            if (!p.RequiresGrad)
            {
                continue;
            }

            if (length > 0 && length + p.Length > bucketElements)
            {
                buckets.Add(new Bucket([.. current], length));
                current.Clear();
                length = 0;
            }

            current.Add(p);
            length += p.Length;
        }

        if (length > 0)
        {
            buckets.Add(new Bucket([.. current], length));
        }
    }

    /// <summary>Number of buckets (allreduce calls per step).</summary>
    public int Count => buckets.Count;

    /// <summary>Floats summed per step.</summary>
    public long Elements
    {
        get
        {
            long total = 0;
            foreach (Bucket b in buckets)
            {
                total += b.Send.Length;
            }

            return total;
        }
    }

    public void Average(ProcessGroup group)
    {
        float size = group.Size;
        foreach (Bucket bucket in buckets)
        {
            int offset = 0;
            foreach (Parameter p in bucket.Parameters)
            {
                p.Grad.AsSpan().CopyTo(bucket.Send.AsSpan(offset));
                offset += p.Length;
            }

            group.AllReduceSum(bucket.Send, bucket.Receive, CommunicationKind.Gradients);
            offset = 0;
            foreach (Parameter p in bucket.Parameters)
            {
                Span<float> grad = p.Grad;
                ReadOnlySpan<float> sum = bucket.Receive.AsSpan(offset, p.Length);
                for (int i = 0; i < grad.Length; i++)
                {
                    grad[i] = sum[i] / size;
                }

                offset += p.Length;
            }
        }
    }

    private sealed class Bucket(Parameter[] parameters, int length)
    {
        public Parameter[] Parameters { get; } = parameters;

        public float[] Send { get; } = new float[length];

        public float[] Receive { get; } = new float[length];
    }
}
