using System;
using System.Linq;
using FusedLayers.Data;

namespace FusedLayers.Tests.Data;

/// <summary>Compose: transforms in order through reused scratch, shapes checked when built, seeded, allocation-free.</summary>
public class ComposeTests
{
    private static float[] Image(int length) => Enumerable.Range(0, length).Select(i => (i % 17) - 8f).ToArray();

    [Fact]
    public void Transforms_run_in_order_and_match_applying_them_one_by_one()
    {
        ISampleTransform[] steps = [new RandomCrop(4, padding: 2), new RandomHorizontalFlip(), new Normalize([1f, 2f, 3f], [2f, 4f, 8f]), new RandomHorizontalFlip(0.3)];
        var compose = new Compose([3, 5, 6], steps);
        Assert.Equal([3, 4, 4], compose.OutputShape);
        Assert.Equal(90, compose.InputLength);
        Assert.Equal(48, compose.OutputLength);
        float[] input = Image(90);
        for (ulong seed = 0; seed < 10; seed++)
        {
            var manual = new SeededRandom(seed);
            float[] a = new float[48], b = new float[48], c = new float[48], d = new float[48];
            steps[0].Apply(input, [3, 5, 6], a, manual);
            steps[1].Apply(a, [3, 4, 4], b, manual);
            steps[2].Apply(b, [3, 4, 4], c, manual);
            steps[3].Apply(c, [3, 4, 4], d, manual);

            var output = new float[48];
            compose.Apply(input, output, new SeededRandom(seed));
            Assert.Equal(d, output);
        }
    }

    [Fact]
    public void A_seed_reproduces_the_augmentation_and_another_seed_changes_it()
    {
        var compose = new Compose([1, 8, 8], new RandomCrop(8, padding: 4), new RandomHorizontalFlip());
        float[] input = Image(64);
        float[] Run(ulong seed)
        {
            var random = new SeededRandom(seed);
            var outputs = new float[10 * 64];
            for (int i = 0; i < 10; i++)
            {
                compose.Apply(input, outputs.AsSpan(i * 64, 64), random);
            }

            return outputs;
        }

        Assert.Equal(Run(3), Run(3));
        Assert.NotEqual(Run(3), Run(4));
    }

    [Fact]
    public void No_transforms_copy_and_bad_shapes_name_the_transform()
    {
        var copy = new Compose([2, 2]);
        var output = new float[4];
        copy.Apply([1f, 2f, 3f, 4f], output, new SeededRandom(0));
        Assert.Equal([1f, 2f, 3f, 4f], output);

        var e = Assert.Throws<ArgumentException>(() => new Compose([3, 8, 8], new RandomCrop(6), new Normalize([0f], [1f]), new RandomCrop(7)));
        Assert.Contains("Transform 2 (RandomCrop) cannot take samples of shape [3, 6, 6]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new Compose([3, 8, 8], new RandomCrop(6), null!));
        var output2 = Enumerable.Repeat(5f, 4).ToArray();
        Assert.Throws<ArgumentException>(() => copy.Apply([1f, 2f, 3f], output2, new SeededRandom(0)));
        Assert.All(output2, v => Assert.Equal(5f, v));
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        var compose = new Compose([3, 32, 32], new RandomCrop(32, padding: 4), new RandomHorizontalFlip(), new Normalize([0.49f, 0.48f, 0.45f], [0.25f, 0.24f, 0.26f]));
        float[] input = Image(3 * 32 * 32);
        var output = new float[3 * 32 * 32];
        var random = new SeededRandom(1);
        compose.Apply(input, output, random);
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                compose.Apply(input, output, random);
            }
        });
    }
}
