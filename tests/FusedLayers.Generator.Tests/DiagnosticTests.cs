using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Tests;

/// <summary>
/// One test (at least) per diagnostic ID. Every test asserts the full set of generator diagnostics
/// (ID and exact span, marked <c>[|...|]</c> in the source), the key facts of the message, and what the
/// output compilation reports besides: for a model the generator can still take a partial part of, it
/// emits throwing layer stubs, so there must be no C# errors at all (no CS9248 cascade).
/// </summary>
public sealed class DiagnosticTests
{
    // ---------------------------------------------------------------- FL00xx: declarations

    [Fact]
    public void FL0001_model_class_not_partial()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public class [|Net|]
            {
                [ReLU] public ReLULayer? Relu { get; }
            }
            """,
            ("FL0001", 0));

        Assert.Contains("Model class 'Net' must be declared partial", Message(run, "FL0001"), StringComparison.Ordinal);
        Assert.Empty(run.GeneratedSources);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0001_model_class_not_partial_with_partial_layer_properties()
    {
        // The user's partial properties would be CS0751 + CS9248 each; a stub part leaves one CS0260 on the class, which
        // says exactly what to add (issue 16 point 10).
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public class [|Net|]
            {
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0001", 0));

        Assert.Equal("Demo.Net.g.cs", run.SingleSource.HintName);
        AssertCompilerDiagnostics(run, "CS0260");
    }

    [Fact]
    public void FL0002_nested_model_class()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            public partial class Outer
            {
                [FusedModel(InputShape = new[] { 3, 32, 32 })]
                public partial class [|Net|]
                {
                    [ReLU] public partial ReLULayer Relu { get; }
                }
            }
            """,
            ("FL0002", 0));

        Assert.Contains("Model class 'Net' is nested in another type", Message(run, "FL0002"), StringComparison.Ordinal);

        // Throwing stubs of the layer properties: no CS9248 on every layer, no error inside generated code.
        Assert.Single(run.GeneratedSources);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0002_generic_model_class()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class [|Net|]<T>
            {
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0002", 0));

        Assert.Contains("Model class 'Net' is generic", Message(run, "FL0002"), StringComparison.Ordinal);

        // Throwing stubs of the layer properties: no CS9248 on every layer, no error inside generated code.
        Assert.Single(run.GeneratedSources);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0002_static_model_class()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public static partial class [|Net|]
            {
                [ReLU] public static partial ReLULayer Relu { get; }
            }
            """,
            ("FL0002", 0));

        Assert.Contains("Model class 'Net' is static", Message(run, "FL0002"), StringComparison.Ordinal);

        // Throwing stubs of the layer properties: no CS9248 on every layer, no error inside generated code.
        Assert.Single(run.GeneratedSources);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0003_missing_input_shape()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [[|FusedModel|]]
            public partial class Net
            {
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0003", 0));

        Assert.Contains("Model 'Net' has no input shape", Message(run, "FL0003"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0003_empty_argument_list()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [[|FusedModel()|]]
            public partial class Net
            {
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0003", 0));

        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0003_empty_input_shape_array()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [[|FusedModel(InputShape = new int[0])|]]
            public partial class Net
            {
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0003", 0));

        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0004_no_layers()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class [|Net|]
            {
                public int NotALayer { get; }
            }
            """,
            ("FL0004", 0));

        Assert.Contains("Model 'Net' declares no layers", Message(run, "FL0004"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0005_layer_property_not_partial()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [ReLU] public ReLULayer? [|Relu|] { get; }
            }
            """,
            ("FL0005", 0));

        string message = Message(run, "FL0005");
        Assert.Contains("Layer 'Relu' must be a partial, non-static, get-only property", message, StringComparison.Ordinal);
        Assert.Contains("partial ReLULayer Relu { get; }", message, StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0005_static_layer_property()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [ReLU] public static partial ReLULayer [|Relu|] { get; }
            }
            """,
            ("FL0005", 0));

        Assert.Contains("Layer 'Relu'", Message(run, "FL0005"), StringComparison.Ordinal);

        // A throwing stub is generated for the static property too, so C# adds no CS9248 on top.
        Assert.Equal("Demo.Net.g.cs", run.SingleSource.HintName);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0005_layer_property_with_setter()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer [|Conv|] { get; set; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0005", 0));

        Assert.Contains("partial Conv2dLayer Conv { get; }", Message(run, "FL0005"), StringComparison.Ordinal);

        // Cascade: no stub is generated for a partial property with a setter, so C# adds CS9248 for it.
        Assert.Equal("Demo.Net.g.cs", run.SingleSource.HintName);
        AssertCompilerDiagnostics(run, "CS9248");
    }

    [Fact]
    public void FL0006_layer_property_of_the_wrong_type()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial BatchNorm2dLayer [|Conv|] { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0006", 0));

        Assert.Equal(
            "Layer 'Conv' has attribute [Conv2d] but type 'FusedLayers.BatchNorm2dLayer'; its type must be Conv2dLayer",
            Message(run, "FL0006"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0007_layers_in_two_partial_declarations_in_two_files()
    {
        MarkupSource other = MarkupSource.Parse(
            """
            using FusedLayers;
            namespace Demo;
            public partial class Net
            {
                [[|BatchNorm2d(64)|]] public partial BatchNorm2dLayer Bn { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """);
        SyntaxTree otherTree = GeneratorHarness.Parse(other.Source, "Net.Layers.cs");

        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
            }
            """,
            otherTree);

        Assert.Equal([GeneratorHarness.Format("FL0007", otherTree, other.Spans[0])], FormatAll(run));
        Assert.Equal("FL0007@Net.Layers.cs:5:6-5:21", FormatAll(run)[0]);
        Assert.Equal(
            "Layers of model 'Net' are declared in 2 partial declarations; declaration order is the data flow, "
            + "so declare every layer in one declaration ('Bn' is in another one)",
            Message(run, "FL0007"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0007_layers_in_two_partial_declarations_in_one_file()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
            }

            public partial class Net
            {
                public int Unrelated { get; }
                [[|ReLU|]] public partial ReLULayer Relu { get; }
                [BatchNorm2d(64)] public partial BatchNorm2dLayer Bn { get; }
            }
            """,
            ("FL0007", 0));

        Assert.Contains("('Relu' is in another one)", Message(run, "FL0007"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0007_a_declaration_without_layers_is_fine()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
            }

            public partial class Net
            {
                public int Unrelated { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0008_two_layer_attributes_on_one_property()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [BatchNorm2d(64), ReLU] public partial BatchNorm2dLayer [|Bn|] { get; }
            }
            """,
            ("FL0008", 0));

        Assert.Equal("Layer 'Bn' has 2 layer attributes; a property declares exactly one layer", Message(run, "FL0008"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0008_two_layer_attribute_lists_on_one_property()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)]
                [ReLU]
                public partial Conv2dLayer [|Conv|] { get; }
            }
            """,
            ("FL0008", 0));

        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    // ---------------------------------------------------------------- FL01xx: arguments

    [Fact]
    public void FL0101_non_positive_conv_channels_and_stride()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d([|0|], [|-64|], 3, [|Stride = 0|])] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0101", 0),
            ("FL0101", 1),
            ("FL0101", 2));

        string[] messages = Messages(run, "FL0101");
        Assert.Equal(
            [
                "Conv2d 'Conv': in_channels must be positive, got 0",
                "Conv2d 'Conv': out_channels must be positive, got -64",
                "Conv2d 'Conv': stride must be positive, got 0",
            ],
            messages);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0101_negative_kernel_size()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, [|-3|])] public partial Conv2dLayer Conv { get; }
                [Conv2d(64, 64, [|KernelSize = -1|])] public partial Conv2dLayer Conv2 { get; }
            }
            """,
            ("FL0101", 0),
            ("FL0101", 1));

        Assert.Equal(
            ["Conv2d 'Conv': kernel_size must be positive, got -3", "Conv2d 'Conv2': kernel_size must be positive, got -1"],
            Messages(run, "FL0101"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0101_non_positive_linear_features_and_batchnorm_num_features()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 784 })]
            public partial class Net
            {
                [Linear(784, [|0|])] public partial LinearLayer Fc { get; }
                [BatchNorm1d([|-1|])] public partial BatchNorm1dLayer Bn { get; }
                [Linear([|inFeatures: 0|], outFeatures: 10)] public partial LinearLayer Head { get; }
                [BatchNorm2d([|0|])] public partial BatchNorm2dLayer Bn2 { get; }
            }
            """,
            ("FL0101", 0),
            ("FL0101", 1),
            ("FL0101", 2),
            ("FL0101", 3));

        Assert.Equal(
            [
                "Linear 'Fc': out_features must be positive, got 0",
                "BatchNorm1d 'Bn': num_features must be positive, got -1",
                "Linear 'Head': in_features must be positive, got 0",
                "BatchNorm2d 'Bn2': num_features must be positive, got 0",
            ],
            Messages(run, "FL0101"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0102_negative_padding()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, [|Padding = -1|])] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0102", 0));

        Assert.Equal("Conv2d 'Conv': padding must be zero or positive, got -1", Message(run, "FL0102"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Theory]
    [InlineData("Eps = 0", "0")]
    [InlineData("Eps = -1e-5", "-1E-05")]
    [InlineData("Eps = double.NaN", "NaN")]
    [InlineData("Eps = double.PositiveInfinity", "Infinity")]
    public void FL0103_invalid_eps(string argument, string shown)
    {
        GeneratorRunOutput run = Check(
            $$"""
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [BatchNorm1d(16, [|{{argument}}|])] public partial BatchNorm1dLayer Bn { get; }
            }
            """,
            ("FL0103", 0));

        Assert.Equal("BatchNorm1d 'Bn': eps must be a positive normal float32 number (from 1.1754944e-38 to 3.4028235e38; smaller ones round to 0 or lose precision), got " + shown, Message(run, "FL0103"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Theory]
    [InlineData("Momentum = 1.5", "1.5")]
    [InlineData("Momentum = -0.1", "-0.1")]
    [InlineData("Momentum = double.NaN", "NaN")]
    public void FL0104_momentum_outside_zero_to_one(string argument, string shown)
    {
        GeneratorRunOutput run = Check(
            $$"""
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [BatchNorm2d(3, [|{{argument}}|])] public partial BatchNorm2dLayer Bn { get; }
            }
            """,
            ("FL0104", 0));

        Assert.Equal("BatchNorm2d 'Bn': momentum must lie in [0, 1] and, unless 0, be at least 1.1754944e-38 (smaller values round to 0 in float32), got " + shown, Message(run, "FL0104"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public void FL0104_is_not_reported_for_the_bounds(string momentum)
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            $$"""
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [BatchNorm2d(3, Momentum = {{momentum}})] public partial BatchNorm2dLayer Bn { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0105_momentum_with_cumulative_average()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [BatchNorm2d(3, [|Momentum = 0.2|], CumulativeAverage = true)] public partial BatchNorm2dLayer Bn { get; }
            }
            """,
            ("FL0105", 0));

        string message = Message(run, "FL0105");
        Assert.StartsWith("BatchNorm2d 'Bn': Momentum = 0.2 contradicts CumulativeAverage = true", message, StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0105_even_when_the_momentum_is_the_default_value()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [BatchNorm1d(16, CumulativeAverage = true, [|Momentum = 0.1|])] public partial BatchNorm1dLayer Bn { get; }
            }
            """,
            ("FL0105", 0));

        Assert.StartsWith("BatchNorm1d 'Bn': Momentum = 0.1 contradicts", Message(run, "FL0105"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0106_conv_without_kernel_size()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [[|Conv2d(3, 64, Padding = 1)|]] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0106", 0));

        Assert.StartsWith("Conv2d 'Conv': kernel_size is required", Message(run, "FL0106"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Theory]
    [InlineData("3, 0, 32", "[3, 0, 32]")]
    [InlineData("-1", "[-1]")]
    [InlineData("1, 3, 32, 32", "[1, 3, 32, 32]")]
    public void FL0107_invalid_input_shape(string dimensions, string shown)
    {
        GeneratorRunOutput run = Check(
            $$"""
            using FusedLayers;
            namespace Demo;
            [[|FusedModel(InputShape = new[] { {{dimensions}} })|]]
            public partial class Net
            {
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0107", 0));

        Assert.Equal($"Model 'Net': input shape {shown} must have one to three dimensions, all positive, with at most 2^30 elements", Message(run, "FL0107"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0108_cumulative_average_without_running_stats()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [BatchNorm2d(3, TrackRunningStats = false, [|CumulativeAverage = true|])] public partial BatchNorm2dLayer Bn { get; }
            }
            """,
            ("FL0108", 0));

        Assert.StartsWith(
            "BatchNorm2d 'Bn': CumulativeAverage has no effect when TrackRunningStats = false",
            Message(run, "FL0108"),
            StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0108_momentum_without_running_stats()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [BatchNorm1d(16, [|Momentum = 0.3|], TrackRunningStats = false)] public partial BatchNorm1dLayer Bn { get; }
            }
            """,
            ("FL0108", 0));

        Assert.StartsWith("BatchNorm1d 'Bn': Momentum has no effect", Message(run, "FL0108"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0109_gelu_approximate_must_be_none_or_tanh()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [Linear(16, 8)] public partial LinearLayer Fc { get; }
                [GELU([|Approximate = "fast"|])] public partial ActivationLayer Act { get; }
            }
            """,
            ("FL0109", 0));

        Assert.Equal("GELU 'Act': approximate must be \"none\" or \"tanh\", got \"fast\"", Message(run, "FL0109"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0109_leaky_relu_slope_must_be_finite()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [LeakyReLU([|NegativeSlope = double.NaN|])] public partial ActivationLayer Act { get; }
            }
            """,
            ("FL0109", 0));

        Assert.Equal("LeakyReLU 'Act': negative_slope must be a finite float32 number (magnitude at most 3.4028235e38), got NaN", Message(run, "FL0109"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0006_activation_property_must_be_an_ActivationLayer()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [Linear(16, 8)] public partial LinearLayer Fc { get; }
                [SiLU] public partial ReLULayer [|Act|] { get; }
            }
            """,
            ("FL0006", 0));

        Assert.Contains("ActivationLayer", Message(run, "FL0006"), StringComparison.Ordinal);
    }

    [Fact]
    public void FL0110_pool_padding_at_most_half_the_kernel()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [MaxPool2d(2, [|Padding = 2|])] public partial MaxPool2dLayer Pool { get; }
            }
            """,
            ("FL0110", 0));

        Assert.Equal("MaxPool2d 'Pool': pad should be at most half of effective kernel size, but got pad=2, kernel_size=2", Message(run, "FL0110"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0110_adaptive_pool_output_size_other_than_one()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [AdaptiveAvgPool2d([|2|])] public partial AdaptiveAvgPool2dLayer Gap { get; }
            }
            """,
            ("FL0110", 0));

        Assert.Equal("AdaptiveAvgPool2d 'Gap': only output_size=1 (global average pooling) is supported, got 2", Message(run, "FL0110"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0111_group_norm_channels_not_divisible_by_groups()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 6, 4, 4 })]
            public partial class Net
            {
                [[|GroupNorm(4, 6)|]] public partial GroupNormLayer Gn { get; }
            }
            """,
            ("FL0111", 0));

        Assert.Equal("GroupNorm 'Gn': num_channels (6) must be divisible by num_groups (4)", Message(run, "FL0111"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0112_layer_norm_without_normalized_shape()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [[|LayerNorm|]] public partial LayerNormLayer Ln { get; }
            }
            """,
            ("FL0112", 0));

        Assert.Equal("LayerNorm 'Ln': normalized_shape must have at least one dimension, e.g. [LayerNorm(64)]", Message(run, "FL0112"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0112_batch_renorm_bounds()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 4, 4 })]
            public partial class Net
            {
                [BatchRenorm2d(3, [|RMax = 0.5|], [|DMax = -1|])] public partial BatchRenormLayer Br { get; }
            }
            """,
            ("FL0112", 0),
            ("FL0112", 1));

        Assert.Equal(
            ["BatchRenorm2d 'Br': r_max must be a finite float32 value of at least 1, got 0.5", "BatchRenorm2d 'Br': d_max must be a finite float32 value of at least 0, got -1"],
            Messages(run, "FL0112"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0113_normalized_shape_is_not_the_trailing_input_dimensions()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Conv2d(3, 4, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [[|LayerNorm(4, 8)|]] public partial LayerNormLayer Ln { get; }
            }
            """,
            ("FL0113", 0));

        Assert.Equal(
            "LayerNorm 'Ln': normalized_shape [4, 8] must equal the trailing dimensions of its input (output of 'Conv'), which has shape [4, 8, 8]",
            Message(run, "FL0113"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0113_normalized_shape_longer_than_the_input()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 8 })]
            public partial class Net
            {
                [[|LayerNorm(2, 8)|]] public partial LayerNormLayer Ln { get; }
            }
            """,
            ("FL0113", 0));

        Assert.Contains("which has shape [8]", Message(run, "FL0113"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0114_instance_norm_over_one_spatial_element()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 4, 1 })]
            public partial class Net
            {
                [[|InstanceNorm1d(4, TrackRunningStats = true)|]] public partial InstanceNorm1dLayer In { get; }
            }
            """,
            ("FL0114", 0));

        Assert.Equal(
            "InstanceNorm1d 'In' normalises each (sample, channel) plane with its own statistics, which needs more than 1 spatial element, but its input (the model input) has shape [4, 1]",
            Message(run, "FL0114"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0115_dropout_probability_outside_zero_one()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [Dropout([|1.5|])] public partial DropoutLayer Drop { get; }
            }
            """,
            ("FL0115", 0));

        Assert.Equal("Dropout 'Drop': dropout probability has to be between 0 and 1, but got 1.5", Message(run, "FL0115"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0201_normalisation_channels_do_not_match_the_input()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 6, 4, 4 })]
            public partial class Net
            {
                [[|GroupNorm(2, 8)|]] public partial GroupNormLayer Gn { get; }
                [InstanceNorm2d(4)] public partial InstanceNorm2dLayer In { get; }
            }
            """,
            ("FL0201", 0));

        // Shape inference stops at the first mismatch, so the InstanceNorm is not reported as well.
        Assert.Equal("GroupNorm 'Gn' expects 8 channels, but its input (the model input) has shape [6, 4, 4]", Message(run, "FL0201"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0202_instance_norm_2d_on_a_sequence()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 4, 10 })]
            public partial class Net
            {
                [[|InstanceNorm2d(4)|]] public partial InstanceNorm2dLayer In { get; }
            }
            """,
            ("FL0202", 0));

        Assert.Equal("InstanceNorm2d 'In' needs a per-sample input of shape [C, H, W], but its input (the model input) has shape [4, 10]", Message(run, "FL0202"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0101_FL0103_FL0104_and_FL0108_on_the_new_normalisations()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 4, 6, 6 })]
            public partial class Net
            {
                [[|LayerNorm(4, 0, 6)|]] public partial LayerNormLayer Ln { get; }
                [InstanceNorm2d(4, [|Momentum = 0.2|])] public partial InstanceNorm2dLayer In { get; }
                [BatchRenorm2d(4, [|Eps = 0|], [|Momentum = 2|])] public partial BatchRenormLayer Br { get; }
                [GroupNorm([|0|], 4)] public partial GroupNormLayer Gn { get; }
            }
            """,
            ("FL0101", 0),
            ("FL0108", 1),
            ("FL0103", 2),
            ("FL0104", 3),
            ("FL0101", 4));

        Assert.Equal(["LayerNorm 'Ln': normalized_shape[1] must be positive, got 0", "GroupNorm 'Gn': num_groups must be positive, got 0"], Messages(run, "FL0101"));
        Assert.Equal("InstanceNorm2d 'In': Momentum has no effect when TrackRunningStats = false (no running statistics are kept); remove one of them", Message(run, "FL0108"));
        Assert.Equal("BatchRenorm2d 'Br': eps must be a positive normal float32 number (from 1.1754944e-38 to 3.4028235e38; smaller ones round to 0 or lose precision), got 0", Message(run, "FL0103"));
        Assert.Equal("BatchRenorm2d 'Br': momentum must lie in [0, 1] and, unless 0, be at least 1.1754944e-38 (smaller values round to 0 in float32), got 2", Message(run, "FL0104"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0203_pool_window_larger_than_the_padded_input()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 4, 4 })]
            public partial class Net
            {
                [[|AvgPool2d(5)|]] public partial AvgPool2dLayer Pool { get; }
            }
            """,
            ("FL0203", 0));

        Assert.Equal("AvgPool2d 'Pool': kernel 5x5 does not fit the input plane 4x4 padded by 0 (4x4)", Message(run, "FL0203"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0205_skip_from_an_unknown_layer()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [Linear(16, 16)] public partial LinearLayer Fc { get; }
                [Residual([|"Nope"|])] public partial ResidualLayer Add { get; }
            }
            """,
            ("FL0205", 0));

        Assert.Equal("Residual 'Add': From = \"Nope\" names no layer of this model (the model input is \"input\", ResidualAttribute.ModelInput)", Message(run, "FL0205"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0205_skip_from_a_later_layer_is_a_cycle()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [Linear(16, 16)] public partial LinearLayer Fc { get; }
                [Residual([|nameof(Fc2)|])] public partial ResidualLayer Add { get; }
                [Linear(16, 16)] public partial LinearLayer Fc2 { get; }
            }
            """,
            ("FL0205", 0));

        Assert.StartsWith("Residual 'Add': From = \"Fc2\" names a later layer", Message(run, "FL0205"), StringComparison.Ordinal);
    }

    [Fact]
    public void FL0205_skip_from_itself()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [Linear(16, 16)] public partial LinearLayer Fc { get; }
                [Residual([|nameof(Add)|])] public partial ResidualLayer Add { get; }
            }
            """,
            ("FL0205", 0));

        Assert.Equal("Residual 'Add': From = \"Add\" names the residual itself (a cycle)", Message(run, "FL0205"));
    }

    [Fact]
    public void FL0206_shapes_differ_at_the_add()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 8, 8, 8 })]
            public partial class Net
            {
                [Conv2d(8, 8, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [ReLU] public partial ReLULayer Relu1 { get; }
                [Conv2d(8, 16, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv2 { get; }
                [[|Residual(nameof(Relu1))|]] public partial ResidualLayer Add { get; }
            }
            """,
            ("FL0206", 0));

        Assert.Equal(
            "Residual 'Add': the main path is [16, 4, 4] but the skip from 'Relu1' is [8, 8, 8]; set Projection = true (and ProjectionStride) to add a 1x1 Conv2d + BatchNorm2d on the skip path",
            Message(run, "FL0206"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0206_projection_stride_does_not_match()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 8, 8, 8 })]
            public partial class Net
            {
                [Conv2d(8, 8, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [ReLU] public partial ReLULayer Relu1 { get; }
                [Conv2d(8, 16, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv2 { get; }
                [[|Residual(nameof(Relu1), Projection = true)|]] public partial ResidualLayer Add { get; }
            }
            """,
            ("FL0206", 0));

        Assert.Equal("Residual 'Add': the main path is [16, 4, 4] but the skip from 'Relu1' is [16, 8, 8] after its projection (ProjectionStride = 1)", Message(run, "FL0206"));
    }

    [Fact]
    public void FL0120_groups_must_divide_both_channel_counts()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 6, 8, 8 })]
            public partial class Net
            {
                [Conv2d(6, 8, 3, [|Groups = 3|])] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0120", 0));

        Assert.Equal("Conv2d 'Conv': groups = 3 must divide in_channels = 6 and out_channels = 8", Message(run, "FL0120"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0121_winograd_forced_on_a_layer_it_cannot_compute_warns_and_the_model_is_still_generated()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 8, 8, 8 })]
            public partial class Net
            {
                [Conv2d(8, 8, 5, Padding = 2, [|Algorithm = ConvAlgorithm.Winograd4x4|])] public partial Conv2dLayer Conv { get; }
                [Conv2d(8, 8, 3, Padding = 1, Algorithm = ConvAlgorithm.Winograd2x2)] public partial Conv2dLayer Fine { get; }
            }
            """,
            ("FL0121", 0));

        Assert.Equal(
            "Conv2d 'Conv': Algorithm = ConvAlgorithm.Winograd4x4 needs a 3x3 kernel, stride 1, dilation 1 and groups 1 " +
            "(this layer has kernel_size=5, stride=1, dilation=1, groups=1); it runs direct",
            Message(run, "FL0121"));
        Assert.Equal(DiagnosticSeverity.Warning, Assert.Single(run.GeneratorDiagnostics).Severity);

        // A warning, not an error: the whole model is generated, and the layer that can run Winograd asks for it.
        Assert.Contains("IFusedModel", run.SingleSource.Text, StringComparison.Ordinal);
        Assert.Contains("context.ForLayer(global::FusedLayers.ConvAlgorithm.Winograd2x2)", run.SingleSource.Text, StringComparison.Ordinal);
        Assert.Contains("Winograd F(2x2,3x3), expected error <= 2e-6 of max |output| on the AVX-512 and AVX2 paths (Algorithm set on the layer)", run.SingleSource.Text, StringComparison.Ordinal);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0203_dilated_kernel_larger_than_the_padded_input()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 4, 4 })]
            public partial class Net
            {
                [[|Conv2d(3, 8, 3, Dilation = 3)|]] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0203", 0));

        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0105_and_FL0108_together()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 16 })]
            public partial class Net
            {
                [BatchNorm1d(16, [|Momentum = 0.3|], [|CumulativeAverage = true|], TrackRunningStats = false)] public partial BatchNorm1dLayer Bn { get; }
            }
            """,
            ("FL0105", 0),
            ("FL0108", 1));

        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    // ---------------------------------------------------------------- FL02xx: graph and shapes

    [Fact]
    public void FL0201_conv_in_channels_do_not_match_the_previous_layer()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, KernelSize = 3, Stride = 1, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [BatchNorm2d(64)] public partial BatchNorm2dLayer Bn { get; }
                [ReLU] public partial ReLULayer Relu { get; }
                [[|Conv2d(3, 64, 3)|]] public partial Conv2dLayer Conv2 { get; }
            }
            """,
            ("FL0201", 0));

        Assert.Equal(
            "Conv2d 'Conv2' expects 3 input channels, but its input (output of 'Relu') has shape [64, 32, 32]",
            Message(run, "FL0201"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0201_conv_in_channels_do_not_match_the_model_input()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 1, 28, 28 })]
            public partial class Net
            {
                [[|Conv2d(3, 8, 3)|]] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0201", 0));

        Assert.Equal(
            "Conv2d 'Conv' expects 3 input channels, but its input (the model input) has shape [1, 28, 28]",
            Message(run, "FL0201"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0201_linear_in_features_mismatch()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 784 })]
            public partial class Net
            {
                [Linear(784, 256)] public partial LinearLayer Fc1 { get; }
                [ReLU] public partial ReLULayer Relu { get; }
                [[|Linear(128, 10)|]] public partial LinearLayer Fc2 { get; }
            }
            """,
            ("FL0201", 0));

        Assert.Equal(
            "Linear 'Fc2' expects 128 input features, but its input (output of 'Relu') has shape [256]",
            Message(run, "FL0201"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0201_linear_after_flatten_with_the_wrong_feature_count()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 1, 8, 8 })]
            public partial class Net
            {
                [Conv2d(1, 4, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [[|Linear(256, 10)|]] public partial LinearLayer Head { get; }
            }
            """,
            ("FL0201", 0));

        Assert.Equal(
            "Linear 'Head' expects 256 input features, but its input (output of 'Flat') has shape [64]",
            Message(run, "FL0201"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0201_batchnorm_num_features_mismatch()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, KernelSize = 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [[|BatchNorm2d(32)|]] public partial BatchNorm2dLayer Bn { get; }
            }
            """,
            ("FL0201", 0));

        Assert.Equal(
            "BatchNorm2d 'Bn' expects 32 channels, but its input (output of 'Conv') has shape [64, 32, 32]",
            Message(run, "FL0201"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0201_batchnorm1d_num_features_mismatch()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 784 })]
            public partial class Net
            {
                [Linear(784, 256)] public partial LinearLayer Fc { get; }
                [[|BatchNorm1d(128)|]] public partial BatchNorm1dLayer Bn { get; }
            }
            """,
            ("FL0201", 0));

        Assert.Contains("expects 128 features (channels)", Message(run, "FL0201"), StringComparison.Ordinal);
        Assert.Contains("[256]", Message(run, "FL0201"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0201_shape_inference_stops_at_the_first_mismatch()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [[|Conv2d(1, 64, 3)|]] public partial Conv2dLayer Conv { get; }
                [BatchNorm2d(32)] public partial BatchNorm2dLayer Bn { get; }
                [Linear(7, 10)] public partial LinearLayer Head { get; }
            }
            """,
            ("FL0201", 0));

        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0202_linear_after_conv_without_flatten()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [[|Linear(65536, 10)|]] public partial LinearLayer Head { get; }
            }
            """,
            ("FL0202", 0));

        Assert.Equal(
            "Linear 'Head' needs a per-sample input of shape [in_features], but its input (output of 'Conv') has shape [64, 32, 32]; "
            + "add a [Flatten] layer before it",
            Message(run, "FL0202"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0202_conv_after_flatten()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [Flatten] public partial FlattenLayer Flat { get; }
                [[|Conv2d(3, 8, 3)|]] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0202", 0));

        Assert.Equal(
            "Conv2d 'Conv' needs a per-sample input of shape [C, H, W], but its input (output of 'Flat') has shape [192]",
            Message(run, "FL0202"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0202_conv_on_a_feature_vector_input()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 784 })]
            public partial class Net
            {
                [[|Conv2d(1, 8, 3)|]] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0202", 0));

        Assert.Contains("(the model input) has shape [784]", Message(run, "FL0202"), StringComparison.Ordinal);
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0202_batchnorm2d_on_a_feature_vector()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 784 })]
            public partial class Net
            {
                [Linear(784, 256)] public partial LinearLayer Fc { get; }
                [[|BatchNorm2d(256)|]] public partial BatchNorm2dLayer Bn { get; }
            }
            """,
            ("FL0202", 0));

        Assert.Equal(
            "BatchNorm2d 'Bn' needs a per-sample input of shape [C, H, W], but its input (output of 'Fc') has shape [256]; "
            + "use [BatchNorm1d] for [C] or [C, L] inputs",
            Message(run, "FL0202"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0202_batchnorm1d_on_an_image()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [[|BatchNorm1d(64)|]] public partial BatchNorm1dLayer Bn { get; }
            }
            """,
            ("FL0202", 0));

        Assert.Equal(
            "BatchNorm1d 'Bn' needs a per-sample input of shape [C] or [C, L], but its input (output of 'Conv') has shape [64, 32, 32]; "
            + "use [BatchNorm2d] for [C, H, W] inputs",
            Message(run, "FL0202"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0203_kernel_larger_than_the_padded_input()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 1, 3, 3 })]
            public partial class Net
            {
                [[|Conv2d(1, 4, 7, Padding = 0)|]] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0203", 0));

        Assert.Equal("Conv2d 'Conv': kernel 7x7 does not fit the input plane 3x3 padded by 0 (3x3)", Message(run, "FL0203"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0203_is_not_reported_when_padding_makes_the_kernel_fit()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 1, 3, 3 })]
            public partial class Net
            {
                [Conv2d(1, 4, 7, Padding = 2)] public partial Conv2dLayer Conv { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0203_after_a_strided_conv_shrinks_the_plane()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 1, 8, 6 })]
            public partial class Net
            {
                [Conv2d(1, 4, 3, Stride = 2)] public partial Conv2dLayer Conv1 { get; }
                [[|Conv2d(4, 4, 5, Padding = 1)|]] public partial Conv2dLayer Conv2 { get; }
            }
            """,
            ("FL0203", 0));

        // Conv1: 8x6 -> 3x2; Conv2's 5x5 kernel does not fit 3x2 padded by 1 (5x4).
        Assert.Equal("Conv2d 'Conv2': kernel 5x5 does not fit the input plane 3x2 padded by 1 (5x4)", Message(run, "FL0203"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    // ---------------------------------------------------------------- FL03xx: fusion (information)

    [Fact]
    public void FL0301_batchnorm_after_relu_runs_as_its_own_kernel()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [ReLU] public partial ReLULayer Relu { get; }
                [[|BatchNorm2d(64)|]] public partial BatchNorm2dLayer Bn { get; }
            }
            """,
            ("FL0301", 0));

        Diagnostic note = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(DiagnosticSeverity.Info, note.Severity);
        Assert.Equal(
            "Layer 'Bn' (BatchNorm2d) runs as its own kernel: it follows ReLU 'Relu', which ends a kernel "
            + "(a kernel is [Conv2d|Linear] -> BatchNorm -> ReLU)",
            Message(run, "FL0301"));
        Assert.Equal("Demo.Net.g.cs", run.SingleSource.HintName);
        Assert.Contains("partial class Net : global::FusedLayers.IFusedModel", run.SingleSource.Text, StringComparison.Ordinal);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0301_a_projection_skip_after_GroupNorm_runs_as_its_own_kernel_and_an_identity_skip_joins_the_row_pass()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 4, 6, 6 })]
            public partial class Net
            {
                [Conv2d(4, 4, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
                [GroupNorm(2, 4)] public partial GroupNormLayer Gn1 { get; }
                [Residual(ResidualAttribute.ModelInput)] public partial ResidualLayer Add { get; }
                [Conv2d(4, 8, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv2 { get; }
                [GroupNorm(4, 8)] public partial GroupNormLayer Gn2 { get; }
                [[|Residual(nameof(Add), Projection = true, ProjectionStride = 2)|]] public partial ResidualLayer Down { get; }
            }
            """,
            ("FL0301", 0));

        Assert.Equal(DiagnosticSeverity.Info, Assert.Single(run.GeneratorDiagnostics).Severity);
        Assert.Equal(
            "Layer 'Down' (Residual) runs as its own kernel: its projection needs BatchNorm's per-channel constants on the skip path, "
            + "which GroupNorm 'Gn2''s row pass does not carry (an identity skip joins it)",
            Message(run, "FL0301"));
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0301_relu_after_flatten_behind_a_relu_kernel_runs_as_its_own_kernel()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 1, 8, 8 })]
            public partial class Net
            {
                [Conv2d(1, 4, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [ReLU] public partial ReLULayer Relu1 { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [[|ReLU|]] public partial ReLULayer Relu2 { get; }
                [Linear(64, 10)] public partial LinearLayer Head { get; }
            }
            """,
            ("FL0301", 0));

        Assert.Equal(DiagnosticSeverity.Info, Assert.Single(run.GeneratorDiagnostics).Severity);
        Assert.StartsWith("Layer 'Relu2' (ReLU) runs as its own kernel", Message(run, "FL0301"), StringComparison.Ordinal);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void ReLU_behind_a_flatten_still_rides_on_the_batchnorm_kernel()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 1, 8, 8 })]
            public partial class Net
            {
                [Conv2d(1, 4, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [BatchNorm2d(4)] public partial BatchNorm2dLayer Bn { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [ReLU] public partial ReLULayer Relu { get; }
                [Linear(64, 10)] public partial LinearLayer Head { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains("kernel 0  Conv -> Bn -> Relu", run.SingleSource.Text, StringComparison.Ordinal);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0301_second_batchnorm_in_a_row()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 784 })]
            public partial class Net
            {
                [Linear(784, 256)] public partial LinearLayer Fc { get; }
                [BatchNorm1d(256)] public partial BatchNorm1dLayer Bn1 { get; }
                [[|BatchNorm1d(256)|]] public partial BatchNorm1dLayer Bn2 { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """,
            ("FL0301", 0));

        Assert.Contains("it follows BatchNorm 'Bn1', which already closed its kernel", Message(run, "FL0301"), StringComparison.Ordinal);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void FL0301_is_not_reported_for_a_model_that_starts_with_batchnorm_or_relu()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 8, 8 })]
            public partial class Net
            {
                [BatchNorm2d(3)] public partial BatchNorm2dLayer Bn { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void Valid_seed_model_reports_nothing()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, KernelSize = 3, Stride = 1, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [BatchNorm2d(64)] public partial BatchNorm2dLayer Bn { get; }
                [ReLU] public partial ReLULayer Relu { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        AssertCompilerDiagnostics(run);
    }

    [Fact]
    public void Several_declaration_errors_are_reported_together()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, [|Padding = -2|])] public partial BatchNorm2dLayer [|Conv|] { get; }
                [BatchNorm2d([|0|], [|Eps = 0|])] public partial BatchNorm2dLayer Bn { get; }
            }
            """,
            ("FL0102", 0),
            ("FL0006", 1),
            ("FL0101", 2),
            ("FL0103", 3));

        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0204_activation_too_large()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 64, 4096, 4096 })]
            public partial class Net
            {
                [[|Conv2d(64, 128, 3, Padding = 1)|]] public partial Conv2dLayer Conv { get; }
            }
            """,
            ("FL0204", 0));

        Assert.Equal("Layer 'Conv' produces 2147483648 elements per sample ([128, 4096, 4096]); at most 2^30 are supported", Message(run, "FL0204"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0009_member_collides_with_a_generated_member()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 4 })]
            public partial class Net
            {
                [Linear(4, 4)] public partial LinearLayer [|Training|] { get; }
                public void [|ZeroGrad|]() { }
                public void ZeroGrad(int which) { }
            }
            """,
            ("FL0009", 0),
            ("FL0009", 1));

        Assert.Contains(
            "Member 'ZeroGrad' of model 'Net' collides with the generated method 'ZeroGrad()'; rename it",
            run.GeneratorDiagnostics.Select(d => d.GetMessage(CultureInfo.InvariantCulture)));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0010_layers_without_a_model_attribute()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            public partial class [|Net|]
            {
                [Linear(4, 4)] public partial LinearLayer Fc { get; }
                [ReLU] public partial ReLULayer Act { get; }
            }
            """,
            ("FL0010", 0));

        Assert.Equal(
            "Class 'Net' declares layers ('Fc' is [Linear]) but has no [FusedModel] attribute: add [FusedModel(InputShape = new[] { ... })] to the class",
            Message(run, "FL0010"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void FL0207_weights_too_large()
    {
        GeneratorRunOutput run = Check(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 46341 })]
            public partial class Net
            {
                [[|Linear(46341, 46341)|]] public partial LinearLayer Fc { get; }
            }
            """,
            ("FL0207", 0));

        Assert.Equal("Layer 'Fc' has 2147488281 weights; at most 2^30 (1073741824) per tensor are supported", Message(run, "FL0207"));
        AssertStubsCompile(run, "Demo.Net.g.cs");
    }

    [Fact]
    public void Diagnostics_are_reported_at_source_locations()
    {
        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [ReLU] public partial ReLULayer Relu { get; }
                [[|BatchNorm2d(32)|]] public partial BatchNorm2dLayer Bn { get; }
            }
            """);

        Diagnostic error = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(LocationKind.SourceFile, error.Location.Kind);
        Assert.Same(run.MainTree, error.Location.SourceTree);
        Assert.Equal([run.Expected("FL0201")], run.FormattedGeneratorDiagnostics.ToArray());
    }

    [Fact]
    public void Fusion_notes_are_reported_at_file_locations_so_they_stay_cached()
    {
        // FL0301 notes do not look at the compilation (a model with notes stays cached on unrelated edits), so
        // they point at the file, span and line of the attribute without holding its syntax tree.
        GeneratorRunOutput run = GeneratorHarness.Run(
            """
            using FusedLayers;
            namespace Demo;
            [FusedModel(InputShape = new[] { 3, 32, 32 })]
            public partial class Net
            {
                [Conv2d(3, 64, 3, Padding = 1)] public partial Conv2dLayer Conv { get; }
                [ReLU] public partial ReLULayer Relu { get; }
                [[|BatchNorm2d(64)|]] public partial BatchNorm2dLayer Bn { get; }
            }
            """);

        Diagnostic note = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(LocationKind.ExternalFile, note.Location.Kind);
        Assert.Equal(run.Spans[0], note.Location.SourceSpan);
        Assert.Equal(GeneratorHarness.MainPath, note.Location.GetLineSpan().Path);
        Assert.Equal(7, note.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Fact]
    public void Every_descriptor_id_is_tested_here()
    {
        string[] ids = [.. System.Text.RegularExpressions.Regex.Matches(
                System.IO.File.ReadAllText(ThisFile()), @"void (FL\d{4})_")
            .Select(m => m.Groups[1].Value)
            .Distinct()
            .Order(StringComparer.Ordinal)];

        // FL0099 is the generator-failure fallback; GeneratorRobustnessTests asserts that it never appears.
        Assert.Equal(
            [
                "FL0001", "FL0002", "FL0003", "FL0004", "FL0005", "FL0006", "FL0007", "FL0008", "FL0009", "FL0010",
                "FL0101", "FL0102", "FL0103", "FL0104", "FL0105", "FL0106", "FL0107", "FL0108", "FL0109", "FL0110",
                "FL0111", "FL0112", "FL0113", "FL0114", "FL0115", "FL0120", "FL0121",
                "FL0201", "FL0202", "FL0203", "FL0204", "FL0205", "FL0206", "FL0207", "FL0301",
            ],
            ids);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// Runs the generator on <paramref name="markup"/> and asserts that its diagnostics are exactly
    /// <paramref name="expected"/>: each ID at the markup span with the given index.
    /// </summary>
    private static GeneratorRunOutput Check(string markup, params (string Id, int Span)[] expected)
    {
        GeneratorRunOutput run = GeneratorHarness.Run(markup);
        Assert.Equal(
            expected.Select(e => run.Expected(e.Id, e.Span)).Order(StringComparer.Ordinal).ToArray(),
            FormatAll(run));
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "FL0099");
        return run;
    }

    /// <summary>
    /// The generator's diagnostics as <c>ID@line:col-line:col</c> (file name in front outside
    /// <see cref="GeneratorHarness.MainPath"/>), ordered. Unlike <see cref="GeneratorRunOutput.FormattedGeneratorDiagnostics"/>
    /// this reads the line span of any location kind: the generator reports its diagnostics with
    /// <see cref="LocationKind.ExternalFile"/> locations (path + span, so that no syntax tree is kept in the
    /// pipeline), which the harness formats as <c>@none</c>.
    /// </summary>
    private static string[] FormatAll(GeneratorRunOutput run) =>
        [.. run.GeneratorDiagnostics.Select(FormatLocation).Order(StringComparer.Ordinal)];

    private static string FormatLocation(Diagnostic diagnostic)
    {
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        if (!span.IsValid)
        {
            return diagnostic.Id + "@none";
        }

        string file = span.Path == GeneratorHarness.MainPath ? string.Empty : System.IO.Path.GetFileName(span.Path) + ":";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{diagnostic.Id}@{file}{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}-{span.EndLinePosition.Line + 1}:{span.EndLinePosition.Character + 1}");
    }

    /// <summary>The message of the single diagnostic with <paramref name="id"/>.</summary>
    private static string Message(GeneratorRunOutput run, string id) =>
        Assert.Single(run.GeneratorDiagnostics, d => d.Id == id).GetMessage(CultureInfo.InvariantCulture);

    /// <summary>The messages of the diagnostics with <paramref name="id"/>, in source order.</summary>
    private static string[] Messages(GeneratorRunOutput run, string id) =>
        [.. GeneratorHarness.Sort(run.GeneratorDiagnostics).Where(d => d.Id == id).Select(d => d.GetMessage(CultureInfo.InvariantCulture))];

    /// <summary>
    /// For an invalid model the generator can still add a partial part to: one source (<paramref name="hintName"/>)
    /// with throwing stubs, and an output compilation without any C# error or warning.
    /// </summary>
    private static void AssertStubsCompile(GeneratorRunOutput run, string hintName)
    {
        Assert.Equal(hintName, run.SingleSource.HintName);
        Assert.DoesNotContain("IFusedModel", run.SingleSource.Text, StringComparison.Ordinal);
        AssertCompilerDiagnostics(run);
    }

    /// <summary>Asserts the IDs of the output compilation's errors and warnings (order-insensitive, with multiplicity).</summary>
    private static void AssertCompilerDiagnostics(GeneratorRunOutput run, params string[] expectedIds)
    {
        ImmutableArray<string> actual = run.FormattedCompilationDiagnostics;
        Assert.True(
            expectedIds.Order(StringComparer.Ordinal).SequenceEqual(
                run.CompilationDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal)),
            $"Expected C# diagnostics [{string.Join(", ", expectedIds)}], got {actual.Length}:\n  " + string.Join("\n  ", actual));
    }

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string file = "") => file;
}
