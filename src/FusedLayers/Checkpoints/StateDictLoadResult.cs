using System.Collections.Generic;

namespace FusedLayers.Checkpoints;

/// <summary>
/// What a successful <see cref="StateDict.Load(IFusedModel, string, bool)"/> left out, like PyTorch's
/// <c>_IncompatibleKeys(missing_keys, unexpected_keys)</c>: both lists are empty after a strict load.
/// </summary>
public sealed class StateDictLoadResult
{
    /// <summary>Creates the result.</summary>
    /// <param name="missingKeys">Model keys the checkpoint lacks (left unchanged), in model order.</param>
    /// <param name="unexpectedKeys">Checkpoint keys the model lacks (ignored), in checkpoint order.</param>
    public StateDictLoadResult(IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys)
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
    }

    /// <summary>Model keys the checkpoint lacks (left unchanged), in model order.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Checkpoint keys the model lacks (ignored), in checkpoint order.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Number of tensors copied into the model.</summary>
    public int LoadedCount { get; init; }
}
