namespace FashionMnist;

/// <summary>
/// The two constants the linked FashionMnistFiles.cs reads from the FashionMnist sample's Options class (which drags
/// in that sample's TorchSharp options), with the same values.
/// </summary>
internal static class Options
{
    /// <summary>Environment variable naming the data folder.</summary>
    public const string DataEnvironmentVariable = "FASHION_MNIST_DIR";

    /// <summary>Where Debian's dataset-fashion-mnist package installs the files.</summary>
    public const string DebianDataDirectory = "/usr/share/datasets/fashion-mnist";
}
