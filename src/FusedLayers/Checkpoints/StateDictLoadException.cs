using System;
using System.Collections.Generic;

namespace FusedLayers.Checkpoints;

/// <summary>
/// A checkpoint that does not fit the model, with PyTorch's <c>load_state_dict</c> message:
/// <code>
/// Error(s) in loading state_dict for Net:
///     Missing key(s) in state_dict: "Fc.weight", "Fc.bias".
///     Unexpected key(s) in state_dict: "Fc2.weight".
///     size mismatch for Conv.weight: copying a param with shape [64, 3, 3, 3] from checkpoint, the shape in current model is [32, 3, 3, 3].
/// </code>
/// Nothing in the model has changed when this is thrown.
/// </summary>
public sealed class StateDictLoadException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public StateDictLoadException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public StateDictLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public StateDictLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from its parts.</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="missingKeys">Missing keys (reported in strict mode).</param>
    /// <param name="unexpectedKeys">Unexpected keys (reported in strict mode).</param>
    /// <param name="mismatches">Size mismatches and unconvertible dtypes (reported in both modes).</param>
    public StateDictLoadException(string message, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> mismatches)
        : base(message)
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        Mismatches = mismatches;
    }

    /// <summary>Missing keys (reported in strict mode).</summary>
    public IReadOnlyList<string> MissingKeys { get; } = [];

    /// <summary>Unexpected keys (reported in strict mode).</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; } = [];

    /// <summary>One line per size mismatch or unconvertible dtype (reported in both modes, as PyTorch does).</summary>
    public IReadOnlyList<string> Mismatches { get; } = [];
}
