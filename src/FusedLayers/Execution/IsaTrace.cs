using System;
using System.Collections.Generic;
using System.Text;

namespace FusedLayers.Execution;

/// <summary>
/// Tests only: counts, per kernel family, which instruction-set path the kernel entry points resolved on the
/// current thread while the trace is open. Every entry point reports the path it then runs (the workers it
/// fans out to run the same path), so a trace of a model's training step shows every kernel's path. Closed
/// (the normal case) the cost per kernel call is one thread-static read.
/// </summary>
internal sealed class IsaTrace : IDisposable
{
    private static readonly int Families = Enum.GetValues<KernelFamily>().Length;
    private static readonly int Paths = Enum.GetValues<KernelIsa>().Length;

    [ThreadStatic]
    private static IsaTrace? current;

    private readonly int[] counts = new int[Families * Paths];
    private readonly IsaTrace? previous;

    private IsaTrace(IsaTrace? previous) => this.previous = previous;

    /// <summary>Opens a trace on the calling thread (nested traces restore the outer one on dispose).</summary>
    /// <returns>The trace; dispose it to stop counting.</returns>
    public static IsaTrace Start() => current = new IsaTrace(current);

    /// <summary>Records that a <paramref name="family"/> entry point resolved <paramref name="isa"/>.</summary>
    /// <param name="family">The kernel family.</param>
    /// <param name="isa">The path it runs.</param>
    public static void Record(KernelFamily family, KernelIsa isa)
    {
        if (current is { } trace)
        {
            trace.counts[((int)family * Paths) + (int)isa]++;
        }
    }

    /// <summary>How many calls of <paramref name="family"/> ran <paramref name="isa"/>.</summary>
    /// <param name="family">The kernel family.</param>
    /// <param name="isa">The path.</param>
    /// <returns>The count.</returns>
    public int Count(KernelFamily family, KernelIsa isa) => counts[((int)family * Paths) + (int)isa];

    /// <summary>The families that were called at all.</summary>
    /// <returns>Families with at least one recorded call.</returns>
    public IReadOnlyList<KernelFamily> CalledFamilies()
    {
        var called = new List<KernelFamily>();
        foreach (KernelFamily family in Enum.GetValues<KernelFamily>())
        {
            for (int p = 0; p < Paths; p++)
            {
                if (Count(family, (KernelIsa)p) > 0)
                {
                    called.Add(family);
                    break;
                }
            }
        }

        return called;
    }

    /// <summary>One line per called family: <c>Conv2d: Avx512 x12</c>; what an assertion prints on failure.</summary>
    /// <returns>The trace as text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (KernelFamily family in CalledFamilies())
        {
            text.Append(family).Append(':');
            for (int p = 0; p < Paths; p++)
            {
                int n = Count(family, (KernelIsa)p);
                if (n > 0)
                {
                    text.Append(' ').Append((KernelIsa)p).Append(" x").Append(n);
                }
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    /// <summary>Stops counting on this thread.</summary>
    public void Dispose() => current = previous;
}
