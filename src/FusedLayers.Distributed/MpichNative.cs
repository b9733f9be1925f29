using System;
using System.Runtime.InteropServices;

namespace FusedLayers.Distributed;

/// <summary>
/// The few MPICH calls MPI.NET 1.4.0 lacks: the non-blocking allreduce (<c>MPI_Iallreduce</c>, MPI-3) and what it needs
/// (a duplicated communicator, <c>MPI_Test</c>, <c>MPI_Wait</c>). Handles and constants are MPICH's integer ABI
/// (<c>mpi.h</c> of MPICH 4); this package runs on MPICH only (see <see cref="MpichLibrary"/>).
/// </summary>
internal static partial class MpichNative
{
    /// <summary><c>MPI_COMM_WORLD</c>.</summary>
    public const int CommWorld = 0x44000000;

    /// <summary><c>MPI_FLOAT</c>.</summary>
    public const int Float = 0x4c00040a;

    /// <summary><c>MPI_SUM</c>.</summary>
    public const int Sum = 0x58000003;

    /// <summary><c>MPI_REQUEST_NULL</c>: what MPICH leaves in a completed request.</summary>
    public const int RequestNull = 0x2c000000;

    /// <summary><c>MPI_STATUS_IGNORE</c>.</summary>
    private static readonly IntPtr StatusIgnore = 1;

    public static int Duplicate(int communicator)
    {
        Check(MPI_Comm_dup(communicator, out int copy), "MPI_Comm_dup");
        return copy;
    }

    public static void Free(ref int communicator) => Check(MPI_Comm_free(ref communicator), "MPI_Comm_free");

    /// <summary>Starts the float sum of <paramref name="send"/> into <paramref name="receive"/> (both pinned, same length).</summary>
    public static int StartAllreduceSum(IntPtr send, IntPtr receive, int count, int communicator)
    {
        Check(MPI_Iallreduce(send, receive, count, Float, Sum, communicator, out int request), "MPI_Iallreduce");
        return request;
    }

    /// <summary>True when <paramref name="request"/> has completed (it becomes <see cref="RequestNull"/>); drives progress.</summary>
    public static bool Test(ref int request)
    {
        Check(MPI_Test(ref request, out int flag, StatusIgnore), "MPI_Test");
        return flag != 0;
    }

    public static void Wait(ref int request) => Check(MPI_Wait(ref request, StatusIgnore), "MPI_Wait");

    private static void Check(int code, string call)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
        }
    }

    [LibraryImport(MpichLibrary.FileName)]
    private static partial int MPI_Comm_dup(int comm, out int newComm);

    [LibraryImport(MpichLibrary.FileName)]
    private static partial int MPI_Comm_free(ref int comm);

    [LibraryImport(MpichLibrary.FileName)]
    private static partial int MPI_Iallreduce(IntPtr sendBuffer, IntPtr receiveBuffer, int count, int datatype, int op, int comm, out int request);

    [LibraryImport(MpichLibrary.FileName)]
    private static partial int MPI_Test(ref int request, out int flag, IntPtr status);

    [LibraryImport(MpichLibrary.FileName)]
    private static partial int MPI_Wait(ref int request, IntPtr status);
}
