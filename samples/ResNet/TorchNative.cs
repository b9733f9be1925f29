using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ResNet;

/// <summary>
/// Prepares the process for TorchSharp (copied from samples/FashionMnist/TorchNative.cs).
/// When the build found that the system libstdc++ lacks GLIBCXX_3.4.32 (build/TorchSharpNativeFix.targets,
/// Debian 12), it patched the output's libLibTorchSharp.so and built an empty
/// <c>std::ios_base_library_init()</c> shim next to this assembly; the shim is loaded here with
/// <c>RTLD_LAZY | RTLD_GLOBAL</c>, before the first TorchSharp call, so that the wrapper's (now unversioned)
/// reference to that symbol resolves to it. Elsewhere there is no shim and nothing to do.
/// </summary>
internal static partial class TorchNative
{
    /// <summary>The shim's file name; must match <c>TorchSharpShimFileName</c> in the targets file.</summary>
    public const string ShimFileName = "libFusedLayersIosBaseInitShim.so";

    private const int RtldLazy = 0x001;
    private const int RtldGlobal = 0x100;

    // glibc's malloc.h: M_TRIM_THRESHOLD is -1, M_MMAP_THRESHOLD is -3.
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MmapThresholdBytes = 32 << 20;

    /// <summary>The shim's path when it was found and loaded, else null (no fix needed on this system).</summary>
    public static string? LoadedShim { get; private set; }

    /// <summary>Loads the shim if there is one. Call before anything touches <c>TorchSharp.torch</c>.</summary>
    public static void LoadShim()
    {
        if (!OperatingSystem.IsLinux() || LoadedShim is not null)
        {
            return;
        }

        string shim = Path.Combine(AppContext.BaseDirectory, ShimFileName);
        if (!File.Exists(shim))
        {
            return;
        }

        if (DlOpen(shim, RtldLazy | RtldGlobal) == IntPtr.Zero)
        {
            throw new InvalidOperationException($"dlopen('{shim}') failed: {Marshal.PtrToStringUTF8(DlError())}");
        }

        LoadedShim = shim;
    }

    /// <summary>
    /// Tells glibc malloc to keep freed memory, as the benchmark suite does for libtorch
    /// (samples/FusedLayers.Benchmarks/Peers/PeerNative.cs): libtorch frees its activations at the end of
    /// every step and asks for them again in the next; with glibc's defaults, blocks of 128 KiB and more
    /// are mmap'ed and unmapped every time, and each step page-faults them back in. PyTorch's performance
    /// guide recommends jemalloc or tcmalloc for this; never trimming and serving up to 32 MiB from the heap
    /// has the same effect. FusedLayers' tensors are managed arrays, so this does not touch it. Linux only.
    /// </summary>
    public static void TuneMalloc()
    {
        if (OperatingSystem.IsLinux() && (Mallopt(MTrimThreshold, int.MaxValue) != 1 || Mallopt(MMmapThreshold, MmapThresholdBytes) != 1))
        {
            throw new InvalidOperationException("mallopt(M_TRIM_THRESHOLD / M_MMAP_THRESHOLD) failed.");
        }
    }

    /// <summary>The message for a TorchSharp that does not load.</summary>
    public static string LoadFailure =>
        "TorchSharp could not load its native libraries. Where the system libstdc++ lacks GLIBCXX_3.4.32 " +
        "(Debian 12), build/TorchSharpNativeFix.targets patches the build output's copy of libLibTorchSharp.so " +
        $"and builds {ShimFileName} (it needs python3 and g++); rebuild this project and look for " +
        $"'TorchSharpNativeFix' in the build log (shim loaded: {LoadedShim ?? "none"}).";

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);

    // dlopen and dlerror live in libc since glibc 2.34 (Debian 12 has 2.36); libdl.so.2 still exports them.
    [LibraryImport("libdl.so.2", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string fileName, int flags);

    [LibraryImport("libdl.so.2", EntryPoint = "dlerror")]
    private static partial IntPtr DlError();
}
