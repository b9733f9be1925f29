using System;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace FusedLayers.Distributed;

/// <summary>
/// MPI.NET 1.4.0 is built against MS-MPI and imports <c>msmpi.dll</c>. MPICH shares MS-MPI's integer-handle ABI, so
/// on Linux every import whose name starts with <c>msmpi</c> is resolved to MPICH's <c>libmpich.so.12</c> (Debian's
/// <c>mpich</c> / <c>libmpich-dev</c> packages). Open MPI (pointer handles) does not work with MPI.NET.
/// </summary>
internal static class MpichLibrary
{
    /// <summary>The MPICH shared library (ABI version 12).</summary>
    public const string FileName = "libmpich.so.12";

    private static int installed;
    private static IntPtr handle;

    /// <summary>Loads MPICH and installs the resolver on MPI.NET's assembly (once per process).</summary>
    /// <exception cref="DllNotFoundException">MPICH is not installed.</exception>
    public static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1)
        {
            return;
        }

        if (!NativeLibrary.TryLoad(FileName, out handle))
        {
            installed = 0;
            throw new DllNotFoundException(
                $"MPI cannot start: {FileName} (MPICH) was not found. Install it with `apt-get install -y mpich libmpich-dev` " +
                "and launch with `mpiexec.mpich -n N dotnet app.dll` (Open MPI does not work with MPI.NET).");
        }

        NativeLibrary.SetDllImportResolver(typeof(MPI.Communicator).Assembly, Resolve);
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase) ? handle : IntPtr.Zero;
}
