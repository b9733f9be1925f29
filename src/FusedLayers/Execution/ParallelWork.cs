namespace FusedLayers.Execution;

/// <summary>
/// A parallel loop body: <see cref="Execute"/> runs once for every index in <c>[0, count)</c>, on any
/// thread, in any order. Kernels keep one instance per call site and reset its fields per call, so a
/// parallel region allocates nothing. Each index must write only its own outputs; reductions across
/// indices are combined afterwards in index order, which keeps results bit-identical run to run.
/// </summary>
public abstract class ParallelWork
{
    /// <summary>Runs the body for one index.</summary>
    /// <param name="index">The index.</param>
    public abstract void Execute(int index);
}
