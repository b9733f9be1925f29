using System;
using System.Collections.Generic;

namespace FusedLayers.Distributed;

/// <summary>
/// The trained parameters' gradients packed into buckets of about <c>bucketElements</c> floats, formed from the last
/// parameter backwards (a parameter never split), as PyTorch DDP does: Backward finishes the last layers first, so
/// the first bucket is complete first. Each bucket's sum across ranks is a non-blocking allreduce; gradients become
/// <c>sum / N</c> in <see cref="Average"/>.
/// </summary>
/// <remarks>
/// With overlap on, Backward's gradient hook (<see cref="IGradientReadyObserver"/>) packs and starts a bucket as soon
/// as all its gradients are final, and tests the buckets in flight at each later hook so that MPI progresses them;
/// <see cref="Average"/> starts what is left and waits. Without overlap <see cref="Average"/> starts every bucket and
/// waits: the same buckets through the same collective, so both give bit-identical gradients. A second Backward before
/// <see cref="Average"/> (gradient accumulation without <c>NoSync</c>, or <c>retainGraph</c>) makes the buckets
/// already sent stale: <see cref="Average"/> then waits for them, discards them and sums the final gradients again,
/// so the result never depends on the overlap.
/// </remarks>
internal sealed class GradientBuckets : IGradientReadyObserver
{
    private readonly ProcessGroup group;
    private readonly IFusedModel model;
    private readonly List<Bucket> buckets = []; // in launch order: last parameters first
    private readonly Dictionary<Parameter, int> indexOf = new(ReferenceEqualityComparer.Instance);
    private int watermark; // Parameters[watermark..] final in this round's Backward
    private int started;   // buckets[0..started) in flight or done this round
    private bool complete; // this round's Backward reached Parameters[0]
    private bool stale;    // a second Backward ran after buckets were sent

    public GradientBuckets(ProcessGroup group, IFusedModel model, int bucketElements)
    {
        this.group = group;
        this.model = model;
        IReadOnlyList<Parameter> parameters = model.Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            indexOf[parameters[i]] = i;
        }

        var current = new List<(Parameter P, int Index)>();
        int length = 0;
        for (int i = parameters.Count - 1; i >= 0; i--)
        {
            Parameter p = parameters[i];
            if (!p.RequiresGrad)
            {
                continue;
            }

            if (length > 0 && length + p.Length > bucketElements)
            {
                buckets.Add(new Bucket(current, length));
                current.Clear();
                length = 0;
            }

            current.Add((p, i));
            length += p.Length;
        }

        if (length > 0)
        {
            buckets.Add(new Bucket(current, length));
        }

        Reset();
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
                total += b.Reduce.Send.Length;
            }

            return total;
        }
    }

    /// <summary>While false, hooks are ignored (DDP's <c>no_sync</c>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Buckets started from Backward's hook since the last <see cref="Average"/> (for tests and reports).</summary>
    public int StartedDuringBackward { get; private set; }

    /// <inheritdoc />
    public void GradientsReady(Parameter first)
    {
        // Only a training Backward takes part: an eval-mode Backward (saliency on one rank) must not start collectives.
        if (!Enabled || !model.Training || stale || !indexOf.TryGetValue(first, out int index))
        {
            return;
        }

        if (complete || index > watermark)
        {
            // A new Backward before Average: what was already sent is not the final gradient.
            if (started > 0)
            {
                stale = true;
                return;
            }

            watermark = int.MaxValue;
        }

        watermark = index;
        complete = index == 0;
        for (int b = 0; b < started; b++)
        {
            group.Progress(buckets[b].Reduce, CommunicationKind.Gradients);
        }

        while (started < buckets.Count && buckets[started].Lowest >= watermark)
        {
            StartBucket(buckets[started++]);
            StartedDuringBackward++;
        }
    }

    /// <summary>Every trained gradient becomes its mean over the ranks.</summary>
    public void Average()
    {
        if (stale)
        {
            foreach (Bucket bucket in buckets)
            {
                group.Wait(bucket.Reduce, CommunicationKind.Gradients);
            }

            started = 0;
        }

        while (started < buckets.Count)
        {
            StartBucket(buckets[started++]);
        }

        float size = group.Size;
        foreach (Bucket bucket in buckets)
        {
            group.Wait(bucket.Reduce, CommunicationKind.Gradients);
            ReadOnlySpan<float> sums = bucket.Reduce.Receive;
            int offset = 0;
            foreach (Parameter p in bucket.Parameters)
            {
                Span<float> grad = p.Grad;
                ReadOnlySpan<float> sum = sums.Slice(offset, p.Length);
                for (int i = 0; i < grad.Length; i++)
                {
                    grad[i] = sum[i] / size;
                }

                offset += p.Length;
            }
        }

        Reset();
    }

    private void Reset()
    {
        watermark = int.MaxValue;
        started = 0;
        complete = false;
        stale = false;
        StartedDuringBackward = 0;
    }

    private void StartBucket(Bucket bucket)
    {
        int offset = 0;
        Span<float> send = bucket.Reduce.Send;
        foreach (Parameter p in bucket.Parameters)
        {
            p.Grad.AsSpan().CopyTo(send[offset..]);
            offset += p.Length;
        }

        group.StartAllReduce(bucket.Reduce, CommunicationKind.Gradients);
    }

    private sealed class Bucket
    {
        public Bucket(List<(Parameter P, int Index)> members, int length)
        {
            Parameters = new Parameter[members.Count];
            Lowest = int.MaxValue;
            for (int i = 0; i < members.Count; i++)
            {
                Parameters[i] = members[i].P;
                Lowest = Math.Min(Lowest, members[i].Index);
            }

            Reduce = new PendingAllreduce(length);
        }

        /// <summary>Its parameters, last declared first.</summary>
        public Parameter[] Parameters { get; }

        /// <summary>The lowest index in the model's Parameters list: the bucket is complete once the watermark reaches it.</summary>
        public int Lowest { get; }

        public PendingAllreduce Reduce { get; }
    }
}
