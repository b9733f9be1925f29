using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace FusedLayers.Distributed;

/// <summary>
/// The processes of one data-parallel job, from the MPI environment (<c>mpiexec.mpich -n N dotnet app.dll</c>):
/// this process's <see cref="Rank"/> and the <see cref="Size"/> of <c>MPI_COMM_WORLD</c>. Started once per process;
/// run without <c>mpiexec</c> it is a group of one. Every collective goes through here: it is timed into
/// <see cref="Communication"/> and watched by a timeout (<see cref="ProcessGroupOptions.CollectiveTimeout"/>).
/// </summary>
/// <remarks>
/// Collectives must be called from the thread that started the group (MPI is initialised single-threaded). The
/// gradient allreduce is non-blocking (<c>MPI_Iallreduce</c> on a duplicate of <c>MPI_COMM_WORLD</c>, started from
/// Backward's gradient hook on the same thread), so no second MPI thread is needed.
/// Wrap the program in <see cref="Run"/> so that a rank that throws aborts the whole job instead of leaving the
/// others waiting.
/// </remarks>
public sealed class ProcessGroup : IDisposable
{
    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(500);
    private readonly MPI.Environment environment;
    private readonly MPI.Intracommunicator world;
    private readonly CollectiveWatchdog? watchdog;
    private readonly Dictionary<int, (double[] In, double[] Out)> doubleBuffers = [];
    private int gradientCommunicator; // a duplicate of MPI_COMM_WORLD for the non-blocking gradient allreduce
    private bool disposed;

    private ProcessGroup(ProcessGroupOptions options)
    {
        MpichLibrary.Install();
        string[] args = [];
        environment = new MPI.Environment(ref args);
        world = MPI.Communicator.world;
        Rank = world.Rank;
        Size = world.Size;
        gradientCommunicator = MpichNative.Duplicate(MpichNative.CommWorld);
        if (options.CollectiveTimeout is { } timeout)
        {
            watchdog = new CollectiveWatchdog(timeout, Rank, Size);
        }

        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>This process's rank, 0 to <see cref="Size"/> - 1.</summary>
    public int Rank { get; }

    /// <summary>Number of processes in the job.</summary>
    public int Size { get; }

    /// <summary>True on rank 0, the one that broadcasts the initial state and writes checkpoints.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Time spent in collectives since the last <see cref="CommunicationStats.Reset"/>.</summary>
    public CommunicationStats Communication { get; } = new();

    /// <summary>Starts MPI (once per process) and returns the group.</summary>
    /// <param name="options">Timeout of one collective; null for the defaults.</param>
    /// <returns>The group; dispose it at the end (MPI finalize).</returns>
    /// <exception cref="DllNotFoundException">MPICH is not installed.</exception>
    public static ProcessGroup Start(ProcessGroupOptions? options = null) => new(options ?? new ProcessGroupOptions());

    /// <summary>
    /// Starts the group, runs <paramref name="body"/>, and finalizes MPI. If <paramref name="body"/> throws on any rank,
    /// that rank writes <c>rank R of N failed: ...</c> to standard error and aborts the whole job (<c>MPI_Abort</c>), so
    /// that no other rank is left waiting in a collective; <c>mpiexec</c> then exits non-zero.
    /// </summary>
    /// <param name="body">The program; returns its exit code.</param>
    /// <param name="options">Group options.</param>
    /// <returns>The exit code of <paramref name="body"/> (a failure never returns: the job is aborted).</returns>
    public static int Run(Func<ProcessGroup, int> body, ProcessGroupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        ProcessGroup group = Start(options);
        int code;
        try
        {
            code = body(group);
        }
        catch (Exception e)
        {
            group.Abort($"FusedLayers.Distributed: rank {group.Rank} of {group.Size} failed: {e}", 1);
            throw; // not reached: the abort ends the process
        }

        group.Dispose();
        return code;
    }

    /// <summary>
    /// Writes <paramref name="message"/> to standard error and, half a second later (so that mpiexec forwards it),
    /// aborts every rank of the job (<c>MPI_Abort</c>).
    /// </summary>
    /// <param name="message">Why; name the rank.</param>
    /// <param name="exitCode">Exit code passed to <c>MPI_Abort</c> (at least 1).</param>
    public void Abort(string message, int exitCode)
    {
        Console.Out.Flush();
        Console.Error.WriteLine(message);
        Console.Error.Flush();

        // mpiexec forwards each rank's output asynchronously, and MPI_Abort tears the job down at once: without a
        // moment's grace the message above can be lost (seen once in five runs of the fault test).
        System.Threading.Thread.Sleep(AbortGrace);
        world.Abort(Math.Max(1, exitCode));
    }

    /// <summary>Waits until every rank has arrived.</summary>
    public void Barrier()
    {
        long start = Enter("barrier");
        world.Barrier();
        Exit(CommunicationKind.Setup, start, 0);
    }

    /// <summary>Ends MPI (<c>MPI_Finalize</c>); every rank must call it.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        watchdog?.Dispose();
        MpichNative.Free(ref gradientCommunicator);
        environment.Dispose();
    }

    /// <summary>
    /// A rank that leaves (<c>Environment.Exit</c>, or <c>Main</c> returning) without <see cref="Dispose"/> would
    /// leave the others waiting, and MPICH may report the job as a success: abort it, naming this rank.
    /// </summary>
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (!disposed)
        {
            Abort($"FusedLayers.Distributed: rank {Rank} of {Size} exited without finishing (the process ended before ProcessGroup.Dispose); aborting the job.", 1);
        }
    }

    /// <summary>Element-wise sum over all ranks, in place, in float64 (metrics such as correct counts or images/s).</summary>
    /// <param name="values">This rank's values; receives the sums.</param>
    /// <param name="kind">Which counter of <see cref="Communication"/> the time goes to.</param>
    public void AllReduceSum(Span<double> values, CommunicationKind kind = CommunicationKind.Setup)
    {
        (double[] input, double[] output) = DoubleBuffers(values.Length);
        values.CopyTo(input);
        long start = Enter("allreduce sum (float64)");
        world.Allreduce(input, MPI.Operation<double>.Add, ref output);
        Exit(kind, start, 8L * values.Length);
        output.AsSpan(0, values.Length).CopyTo(values);
    }

    /// <summary>Every rank's <paramref name="values"/> (the same length on every rank), in rank order, in float64.</summary>
    internal void AllGather(ReadOnlySpan<double> values, Span<double> gathered, CommunicationKind kind)
    {
        (double[] input, double[] output) = DoubleBuffers(values.Length, Size);
        values.CopyTo(input);
        long start = Enter("allgather (float64)");
        world.AllgatherFlattened(input, values.Length, ref output);
        Exit(kind, start, 8L * values.Length);
        output.AsSpan(0, gathered.Length).CopyTo(gathered);
    }

    /// <summary>Element-wise float sum of <paramref name="input"/> over all ranks into <paramref name="output"/> (same length).</summary>
    internal void AllReduceSum(float[] input, float[] output, CommunicationKind kind)
    {
        long start = Enter("allreduce sum (float32)");
        world.Allreduce(input, MPI.Operation<float>.Add, ref output);
        Exit(kind, start, 4L * input.Length);
    }

    /// <summary>Starts <paramref name="op"/>'s float sum over all ranks (on the gradient communicator); every rank starts the same ones in the same order.</summary>
    internal void StartAllReduce(PendingAllreduce op, CommunicationKind kind)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        long start = Stopwatch.GetTimestamp();
        op.Start(gradientCommunicator, start);
        Communication.AddExposed(kind, Stopwatch.GetTimestamp() - start);
    }

    /// <summary>Lets MPI progress <paramref name="op"/> (MPICH advances a non-blocking collective only inside MPI calls).</summary>
    internal void Progress(PendingAllreduce op, CommunicationKind kind)
    {
        if (!op.InFlight)
        {
            return;
        }

        long start = Stopwatch.GetTimestamp();
        bool done = op.Test();
        long now = Stopwatch.GetTimestamp();
        Communication.AddExposed(kind, now - start);
        if (done)
        {
            Communication.AddCompleted(kind, now - op.StartedAt, 4L * op.Send.Length);
        }
    }

    /// <summary>Blocks until <paramref name="op"/> has completed (watched by the collective timeout).</summary>
    internal void Wait(PendingAllreduce op, CommunicationKind kind)
    {
        if (!op.InFlight)
        {
            return;
        }

        long start = Enter("allreduce sum (float32, non-blocking)");
        op.Wait();
        long now = Stopwatch.GetTimestamp();
        watchdog?.Exit();
        Communication.AddExposed(kind, now - start);
        Communication.AddCompleted(kind, now - op.StartedAt, 4L * op.Send.Length);
    }

    /// <summary>Rank 0's <paramref name="values"/> to every rank (same length everywhere).</summary>
    internal void Broadcast<T>(T[] values)
        where T : unmanaged
    {
        long start = Enter("broadcast");
        T[] target = values;
        world.Broadcast(ref target, 0);
        if (!ReferenceEquals(target, values))
        {
            target.AsSpan().CopyTo(values);
        }

        Exit(CommunicationKind.Setup, start, 0);
    }

    /// <summary>Every rank's bytes, in rank order.</summary>
    internal byte[][] AllGather(byte[] mine)
    {
        long start = Enter("allgather");
        int[] lengths = world.Allgather(mine.Length);
        byte[] flat = world.AllgatherFlattened(mine, lengths);
        Exit(CommunicationKind.Setup, start, mine.Length);
        var result = new byte[Size][];
        int offset = 0;
        for (int r = 0; r < Size; r++)
        {
            result[r] = flat.AsSpan(offset, lengths[r]).ToArray();
            offset += lengths[r];
        }

        return result;
    }

    private (double[] In, double[] Out) DoubleBuffers(int length, int outputFactor = 1)
    {
        // MPI.NET sends whole arrays: keep one exact-length pair per length and shape (a model has few distinct ones).
        int key = outputFactor == 1 ? length : -(length * Size);
        if (!doubleBuffers.TryGetValue(key, out (double[] In, double[] Out) pair))
        {
            pair = (new double[length], new double[length * outputFactor]);
            doubleBuffers[key] = pair;
        }

        return pair;
    }

    private long Enter(string what)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        watchdog?.Enter(what);
        return Stopwatch.GetTimestamp();
    }

    private void Exit(CommunicationKind kind, long start, long bytes)
    {
        Communication.Add(kind, Stopwatch.GetTimestamp() - start, bytes);
        watchdog?.Exit();
    }
}
