using System;

namespace FusedLayers.Data;

/// <summary>
/// An IDX file (MNIST / Fashion-MNIST format) that cannot be read: wrong magic number, truncated header or
/// data, dimensions that overflow, trailing bytes, a broken gzip stream, or image and label files that do not
/// match. The message names the file and says what was expected and what was found.
/// </summary>
public sealed class IdxFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public IdxFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public IdxFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public IdxFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
