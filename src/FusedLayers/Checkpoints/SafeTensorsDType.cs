namespace FusedLayers.Checkpoints;

/// <summary>The dtype strings of the safetensors format and their element sizes.</summary>
public static class SafeTensorsDType
{
    /// <summary>32-bit IEEE float (parameters, running statistics).</summary>
    public const string F32 = "F32";

    /// <summary>64-bit signed integer (<c>num_batches_tracked</c>).</summary>
    public const string I64 = "I64";

    /// <summary>Bytes per element of <paramref name="dtype"/>, or 0 when the dtype is unknown.</summary>
    /// <param name="dtype">A dtype string such as <c>F32</c>.</param>
    /// <returns>1, 2, 4 or 8; 0 for an unknown dtype.</returns>
    public static int ElementSize(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or "F32" => 4,
        "I64" or "U64" or "F64" => 8,
        _ => 0,
    };
}
