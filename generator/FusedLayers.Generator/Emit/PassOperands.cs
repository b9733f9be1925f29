using System.Collections.Generic;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// The C# expressions of one kernel's schedule buffers inside one generated method: the kernel's input and output, the
/// gradients around it, the skip source, and its workspace views (through the method's <see cref="SliceScope"/>).
/// </summary>
internal sealed class PassOperands
{
    private readonly System.Func<string> y;

    /// <summary>
    /// Operands of <paramref name="kernel"/>; <paramref name="y"/> is asked for only when a pass names the kernel output, so a
    /// backward that does not read it declares no view of it.
    /// </summary>
    public PassOperands(KernelNames kernel, IReadOnlyList<KernelNames> kernels, SliceScope scope, bool training, string x, System.Func<string> y, string dy = "", string dx = "", string skip = "")
    {
        this.y = y;
        K = kernel;
        Kernels = kernels;
        Scope = scope;
        Training = training;
        X = x;
        Dy = dy;
        Dx = dx;
        Skip = skip;
    }

    public KernelNames K { get; }

    public IReadOnlyList<KernelNames> Kernels { get; }

    public SliceScope Scope { get; }

    /// <summary>A training-style method (training forward, Eval(withGradients: true), backward).</summary>
    public bool Training { get; }

    public string X { get; }

    public string Y => y();

    public string Dy { get; }

    public string Dx { get; }

    public string Skip { get; }

    /// <summary>The expression of schedule buffer <paramref name="buffer"/>.</summary>
    public string this[string buffer] => buffer switch
    {
        Buffers.X => X,
        Buffers.Y => Y,
        Buffers.Dy => Dy,
        Buffers.Dx => Dx,
        Buffers.Skip => Skip,
        Buffers.Z => Scope.Get(K.Z, K.NormLength),
        Buffers.Dz => Scope.Get(K.Dz, K.NormLength),
        Buffers.Da => Scope.Get(K.Da, K.NormLength),
        Buffers.Pre => Scope.Get(K.Pre, K.NormLength),
        Buffers.Dpre => Scope.Get(K.Dpre, K.NormLength),
        Buffers.ProjZ => Scope.Get(K.ProjZ, K.NormLength),
        Buffers.ProjDz => Scope.Get(K.ProjDz, K.NormLength),
        Buffers.SkipDx => Scope.Get(K.SkipDx, K.SkipLength),
        _ => throw new System.InvalidOperationException($"Kernel {K.Kernel.Index}: the schedule buffer '{buffer}' has no expression."),
    };
}
