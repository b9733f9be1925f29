namespace FusedLayers.TorchParity.Tests;

/// <summary>
/// Tests that seed libtorch's global generator (<c>torch.manual_seed</c>) and then draw from it (torchvision's model
/// initialisation) run alone: another test class drawing from the same generator in parallel would change their data
/// from run to run.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalSeedCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "libtorch global seed";
}
