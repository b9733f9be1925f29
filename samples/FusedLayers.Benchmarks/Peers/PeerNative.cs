using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace FusedLayers.Benchmarks.Peers;

/// <summary>
/// One-time, process-wide preparation for the native peers (libtorch through TorchSharp, ONNX Runtime).
/// </summary>
internal static partial class PeerNative
{
    /// <summary>
    /// The shim's file name; must match <c>TorchSharpShimFileName</c> in build/TorchSharpNativeFix.targets
    /// (the same lines as tests/FusedLayers.TorchParity.Tests/TorchNative.cs).
    /// </summary>
    private const string ShimFileName = "libFusedLayersIosBaseInitShim.so";

    private const int RtldLazy = 0x001;
    private const int RtldGlobal = 0x100;

    // glibc's malloc.h: M_TRIM_THRESHOLD is -1, M_MMAP_THRESHOLD is -3 (-2 is M_TOP_PAD).
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MmapThresholdBytes = 32 << 20;

    private static readonly Lock Gate = new();
    private static bool mallocTuned;
    private static bool torchReady;

    /// <summary>
    /// Tells glibc malloc to keep freed memory (done once, before the first peer runs). libtorch frees its
    /// activation and gradient buffers at the end of every iteration (here: the dispose scope) and asks
    /// for them again in the next. With glibc's defaults, blocks of 128 KiB and more are mmap'ed and
    /// munmap'ed each time and the top of the heap is trimmed back to the OS, so every iteration
    /// page-faults its buffers back in (zeroing pages in the kernel) and libtorch looks much slower than it
    /// is. PyTorch's CPU performance tuning guide recommends jemalloc or tcmalloc for exactly this; these
    /// two settings get the same effect from glibc: never trim (M_TRIM_THRESHOLD = INT_MAX) and serve up to
    /// 32 MiB from the heap instead of fresh mmaps (M_MMAP_THRESHOLD = 32 MiB; glibc's maximum on 64-bit
    /// is 32 MiB). Managed code (FusedLayers) does not use malloc for its tensors, so this changes
    /// nothing for it. Off Linux it does nothing.
    /// </summary>
    public static void TuneMalloc()
    {
        lock (Gate)
        {
            if (mallocTuned || !OperatingSystem.IsLinux())
            {
                return;
            }

            if (Mallopt(MTrimThreshold, int.MaxValue) != 1 || Mallopt(MMmapThreshold, MmapThresholdBytes) != 1)
            {
                throw new InvalidOperationException("mallopt(M_TRIM_THRESHOLD / M_MMAP_THRESHOLD) failed.");
            }

            mallocTuned = true;
        }
    }

    /// <summary>
    /// Loads libtorch: the libstdc++ shim first where the build made one (Debian 12 lacks GLIBCXX_3.4.32;
    /// see build/TorchSharpNativeFix.targets), then one inter-op thread (libtorch allows setting that only
    /// once, before any parallel work). Also tunes malloc (<see cref="TuneMalloc"/>) unless
    /// <paramref name="tuneMalloc"/> is false (the <c>memory</c> verb's run with glibc's defaults).
    /// </summary>
    public static void EnsureTorch(bool tuneMalloc = true)
    {
        if (tuneMalloc)
        {
            TuneMalloc();
        }

        lock (Gate)
        {
            if (torchReady)
            {
                return;
            }

            string? shim = null;
            if (OperatingSystem.IsLinux())
            {
                string path = Path.Combine(AppContext.BaseDirectory, ShimFileName);
                if (File.Exists(path))
                {
                    if (DlOpen(path, RtldLazy | RtldGlobal) == IntPtr.Zero)
                    {
                        throw new InvalidOperationException($"dlopen('{path}') failed: {Marshal.PtrToStringUTF8(DlError())}");
                    }

                    shim = path;
                }
            }

            try
            {
                TorchSharp.torch.set_num_interop_threads(1);
            }
            catch (TypeInitializationException e)
            {
                throw new InvalidOperationException(
                    "TorchSharp could not load its native libraries. Where the system libstdc++ lacks GLIBCXX_3.4.32 " +
                    "(Debian 12), build/TorchSharpNativeFix.targets patches the build output's libLibTorchSharp.so " +
                    $"and builds {ShimFileName}; rebuild and look for 'TorchSharpNativeFix' in the build log (shim loaded: {shim ?? "none"}).",
                    e);
            }
            catch (ExternalException)
            {
                // Already set, or parallel work already started: keep libtorch's setting.
            }

            torchReady = true;
        }
    }

    /// <summary>
    /// glibc malloc's statistics (<c>mallinfo2</c>, glibc 2.33+, summed over all arenas) now, in bytes: held from the
    /// OS (<c>arena + hblkhd</c>: the heaps and the mmapped chunks) and in use (<c>uordblks + hblkhd</c>); null off
    /// Linux or where glibc lacks it. Current figures, not peaks.
    /// </summary>
    public static (long Held, long InUse)? MallocStatistics()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            MallInfo2 info = MallInfo2Native();
            return ((long)(info.Arena + info.Hblkhd), (long)(info.Uordblks + info.Hblkhd));
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo2 MallInfo2Native();

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);

    // dlopen and dlerror live in libc since glibc 2.34 (Debian 12 has 2.36); libdl.so.2 still exports them.
    [LibraryImport("libdl.so.2", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string fileName, int flags);

    [LibraryImport("libdl.so.2", EntryPoint = "dlerror")]
    private static partial IntPtr DlError();

    /// <summary>glibc's <c>struct mallinfo2</c> (ten <c>size_t</c> fields).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct MallInfo2
    {
        public readonly nuint Arena;
        public readonly nuint Ordblks;
        public readonly nuint Smblks;
        public readonly nuint Hblks;
        public readonly nuint Hblkhd;
        public readonly nuint Usmblks;
        public readonly nuint Fsmblks;
        public readonly nuint Uordblks;
        public readonly nuint Fordblks;
        public readonly nuint Keepcost;
    }
}
