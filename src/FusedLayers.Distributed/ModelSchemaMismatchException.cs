using System;

namespace FusedLayers.Distributed;

/// <summary>Thrown on every rank at start-up when the ranks' models differ in parameter or buffer names, shapes or types.</summary>
public sealed class ModelSchemaMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which ranks differ, and where.</param>
    public ModelSchemaMismatchException(string message)
        : base(message)
    {
    }
}
