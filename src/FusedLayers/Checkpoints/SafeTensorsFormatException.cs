using System;

namespace FusedLayers.Checkpoints;

/// <summary>
/// A safetensors file that breaks the format: too short, a header length past the end of the file, a header
/// that is not a JSON object of tensor entries, an unknown dtype, or data offsets that do not tile the data
/// buffer exactly with each tensor's size. The message names the file and the offending entry.
/// </summary>
public sealed class SafeTensorsFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public SafeTensorsFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public SafeTensorsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
