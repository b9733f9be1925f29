using System;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using FusedLayers.Tests.Models;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Kernels.Winograd;

/// <summary>The shared algorithm rule, one test per clause, and the model-wide override in <see cref="ExecutionOptions"/>.</summary>
public sealed class ConvAlgorithmRuleTests
{
    [Fact]
    public void Auto_runs_block_Rs_layer_direct_on_both_vector_paths_while_auto_picks_no_winograd()
    {
        var g = new Conv2dGeometry(64, 64, 56, 56, 3, 1, 1);
        Assert.False(ConvAlgorithmRule.AutoPicksWinograd);
        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, ConvAlgorithm.Auto, g));
        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx2, ConvAlgorithm.Auto, g));
        Assert.Equal(ConvAlgorithmKind.Winograd2x2, Conv2dKernels.Choose(KernelIsa.Avx2, ConvAlgorithm.Winograd2x2, g));
    }

    [Fact]
    public void Auto_keeps_layers_with_few_or_very_many_channels_direct()
    {
        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, ConvAlgorithm.Auto, new Conv2dGeometry(3, 64, 224, 224, 3, 1, 1)));
        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, ConvAlgorithm.Auto, new Conv2dGeometry(16, 16, 112, 112, 3, 1, 1)));
        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, ConvAlgorithm.Auto, new Conv2dGeometry(1024, 1024, 14, 14, 3, 1, 1)));
        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, ConvAlgorithm.Auto, new Conv2dGeometry(512, 512, 14, 14, 3, 1, 1)));
    }

    [Fact]
    public void Auto_keeps_planes_smaller_than_8x8_direct()
    {
        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, ConvAlgorithm.Auto, new Conv2dGeometry(512, 512, 7, 7, 3, 1, 1)));
        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, ConvAlgorithm.Auto, new Conv2dGeometry(64, 64, 8, 8, 3, 1, 1)));
    }

    [Fact]
    public void Auto_only_picks_an_algorithm_whose_stated_error_is_within_the_parity_tolerance()
    {
        Assert.True(ConvAlgorithmRule.Winograd4x4Error <= ConvAlgorithmRule.ErrorBudget);
        Assert.True(ConvAlgorithmRule.Winograd2x2Error <= ConvAlgorithmRule.AutoLayerError);
        Assert.True(ConvAlgorithmRule.Winograd4x4Error > ConvAlgorithmRule.AutoLayerError); // forced only: see AutoLayerError
        Assert.Equal(Compare.Tolerance, ConvAlgorithmRule.ErrorBudget);
    }

    [Fact]
    public void The_scalar_path_and_forced_direct_always_run_direct()
    {
        var g = new Conv2dGeometry(64, 64, 56, 56, 3, 1, 1);
        foreach (ConvAlgorithm algorithm in Enum.GetValues<ConvAlgorithm>())
        {
            Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Scalar, algorithm, g));
        }

        Assert.Equal(ConvAlgorithmKind.Direct, Conv2dKernels.Choose(KernelIsa.Avx512, ConvAlgorithm.Direct, g));
        Assert.Contains("forced", ConvAlgorithmRule.Describe(1, 64, 64, 56, 56, 3, 1, 1, 1, vectorPath: true), StringComparison.Ordinal);
        Assert.Contains("auto", ConvAlgorithmRule.Describe(0, 64, 64, 56, 56, 3, 1, 1, 1, vectorPath: true), StringComparison.Ordinal);
        Assert.Contains("F(2x2,3x3)", ConvAlgorithmRule.Describe(2, 64, 64, 56, 56, 3, 1, 1, 1, vectorPath: true), StringComparison.Ordinal);
        Assert.Contains("F(4x4,3x3)", ConvAlgorithmRule.Describe(3, 64, 64, 56, 56, 3, 1, 1, 1, vectorPath: true), StringComparison.Ordinal);
    }

    [Fact]
    public void Execution_options_carry_the_algorithm_into_the_kernel_context()
    {
        var options = new ExecutionOptions();
        Assert.Equal(ConvAlgorithm.Auto, options.ConvAlgorithm);
        Assert.Equal(ConvAlgorithm.Auto, options.Context.ConvAlgorithm);
        options.ConvAlgorithm = ConvAlgorithm.Winograd2x2;
        Assert.Equal(ConvAlgorithm.Winograd2x2, options.Context.ConvAlgorithm);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.ConvAlgorithm = (ConvAlgorithm)42);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.ConvAlgorithm = (ConvAlgorithm)(-1));
        Assert.Equal(ConvAlgorithm.Winograd2x2, options.ConvAlgorithm);
        AllocationAssert.SteadyStateAllocatesNothing(() =>
        {
            options.ConvAlgorithm = ConvAlgorithm.Direct;
            options.ConvAlgorithm = ConvAlgorithm.Auto;
        });
    }

    [Theory]
    [InlineData(ConvAlgorithm.Winograd2x2)]
    [InlineData(ConvAlgorithm.Winograd4x4)]
    [InlineData(ConvAlgorithm.Auto)]
    public void A_model_forced_to_an_algorithm_agrees_with_the_direct_model(ConvAlgorithm algorithm)
    {
        var random = new Random(3);
        var model = new WinogradBlockModel(4);
        var input = new float[4 * model.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)((2 * random.NextDouble()) - 1);
        }

        var direct = new float[4 * model.OutputLength];
        var forced = new float[direct.Length];
        foreach (bool training in new[] { true, false })
        {
            if (training)
            {
                model.Train();
            }
            else
            {
                model.Eval();
            }

            model.Execution.ConvAlgorithm = ConvAlgorithm.Direct;
            model.Forward(input, direct);
            model.Execution.ConvAlgorithm = algorithm;
            model.Forward(input, forced);
            Compare.Close($"{algorithm} training {training}", direct, forced);
        }
    }
    [Fact]
    public void A_layers_own_algorithm_runs_unless_the_model_wide_choice_overrides_it()
    {
        var random = new Random(5);
        var layered = new LayerAlgorithmModel(4);   // Conv1 forced F(2x2), Conv2 forced direct
        var plain = new WinogradBlockModel(4);      // same layers and seeds: the same weights
        var input = new float[4 * layered.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)((2 * random.NextDouble()) - 1);
        }

        float[] Run(IFusedModel model, ConvAlgorithm modelWide)
        {
            model.Eval();
            model.Execution.ConvAlgorithm = modelWide;
            var output = new float[4 * model.OutputLength];
            model.Forward(input, output);
            return output;
        }

        float[] allDirect = Run(plain, ConvAlgorithm.Direct);
        float[] auto = Run(plain, ConvAlgorithm.Auto);
        float[] perLayer = Run(layered, ConvAlgorithm.Auto);
        Compare.Close("per-layer algorithms vs direct", allDirect, perLayer);

        // A model-wide choice other than Auto wins over the layers' own: bit for bit the all-direct model.
        Assert.Equal(allDirect, Run(layered, ConvAlgorithm.Direct));
        if (KernelContext.BestSupported != KernelIsa.Scalar)
        {
            // On a vector path the per-layer choices show in the bits: the result is neither the all-direct one (Conv1,
            // which Auto keeps direct, ran F(2x2)) nor Auto's (which runs Conv2 as F(4x4) and Conv1 direct).
            Assert.NotEqual(allDirect, perLayer);
            Assert.NotEqual(auto, perLayer);
        }
    }
}
