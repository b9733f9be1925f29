namespace FusedLayers;

/// <summary>Derives one initialisation seed per layer from a model seed (SplitMix64 finaliser), deterministic everywhere.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static class ModelSeeds
{
    /// <summary>The seed of layer number <paramref name="layerIndex"/> of a model seeded with <paramref name="modelSeed"/>.</summary>
    /// <param name="modelSeed">Model seed.</param>
    /// <param name="layerIndex">Zero-based layer index in declaration order.</param>
    public static int ForLayer(int modelSeed, int layerIndex)
    {
        unchecked
        {
            ulong z = ((ulong)(uint)modelSeed << 32) + (ulong)(uint)layerIndex + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z & 0x7FFFFFFF);
        }
    }
}
