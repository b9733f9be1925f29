namespace FusedLayers.Generator.Tests.Infrastructure;

/// <summary>
/// Valid model sources for tests that need "a model that works": the reference shapes S and L of the
/// design brief, and a conv stack that flattens into a linear head.
/// </summary>
internal static class SeedModels
{
    /// <summary>Namespace every seed model is declared in.</summary>
    public const string Namespace = "Seed.Models";

    /// <summary>Shape S: Conv2d(3,64,k3,s1,p1) -> BatchNorm2d -> ReLU on 3x32x32. Hint name <c>Seed.Models.ConvBnRelu.g.cs</c>.</summary>
    public const string ConvBnRelu = """
        using FusedLayers;

        namespace Seed.Models;

        [FusedModel(InputShape = new[] { 3, 32, 32 })]
        public partial class ConvBnRelu
        {
            [Conv2d(3, 64, KernelSize = 3, Padding = 1)] partial Conv2dLayer Conv { get; }

            [BatchNorm2d(64)] partial BatchNorm2dLayer Bn { get; }

            [ReLU] partial ReLULayer Relu { get; }

            // A trailing comment that the caching tests edit.
        }
        """;

    /// <summary>Shape L: Linear(784,256) -> BatchNorm1d -> ReLU on 784 features. Hint name <c>Seed.Models.LinearBnRelu.g.cs</c>.</summary>
    public const string LinearBnRelu = """
        using FusedLayers;

        namespace Seed.Models;

        [FusedModel(InputShape = new[] { 784 })]
        public partial class LinearBnRelu
        {
            [Linear(784, 256)] partial LinearLayer Fc { get; }

            [BatchNorm1d(256)] partial BatchNorm1dLayer Bn1 { get; }

            [ReLU] partial ReLULayer Relu { get; }
        }
        """;

    /// <summary>Conv -> BN -> ReLU -> Flatten -> Linear on 1x8x8. Hint name <c>Seed.Models.ConvFlattenLinear.g.cs</c>.</summary>
    public const string ConvFlattenLinear = """
        using FusedLayers;

        namespace Seed.Models;

        [FusedModel(InputShape = new[] { 1, 8, 8 })]
        public partial class ConvFlattenLinear
        {
            [Conv2d(1, 4, KernelSize = 3, Stride = 2, Padding = 1)] partial Conv2dLayer Conv { get; }

            [BatchNorm2d(4)] partial BatchNorm2dLayer Bn { get; }

            [ReLU] partial ReLULayer Relu { get; }

            [Flatten] partial FlattenLayer Flat { get; }

            [Linear(64, 10)] partial LinearLayer Head { get; }
        }
        """;

    /// <summary>The three seed models by name, for theories.</summary>
    public static TheoryData<string> All { get; } = new() { nameof(ConvBnRelu), nameof(LinearBnRelu), nameof(ConvFlattenLinear) };

    /// <summary>The source of the seed model <paramref name="name"/>.</summary>
    /// <param name="name">One of <see cref="All"/>.</param>
    /// <returns>The source.</returns>
    public static string Get(string name) => name switch
    {
        nameof(ConvBnRelu) => ConvBnRelu,
        nameof(LinearBnRelu) => LinearBnRelu,
        nameof(ConvFlattenLinear) => ConvFlattenLinear,
        _ => throw new System.ArgumentOutOfRangeException(nameof(name), name, "Unknown seed model."),
    };
}
