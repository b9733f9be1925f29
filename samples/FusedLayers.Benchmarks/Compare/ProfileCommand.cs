using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using FusedLayers.Benchmarks.Peers;
using FusedLayers.Execution;
using FusedLayers.Kernels;
using Microsoft.ML.OnnxRuntime;

namespace FusedLayers.Benchmarks.Compare;

/// <summary>
/// The <c>profile</c> verb: a per-kernel time breakdown of the ResNet block's inference forward
/// (<c>ResNetStage</c>, batch 8) next to ONNX Runtime's per-node times from its own profiler
/// (<c>SessionOptions.EnableProfiling</c>), in one process. FusedLayers' side replays the generated inference
/// pass kernel by kernel through the public runtime kernels with the model's shapes (the calls of
/// <c>_flForwardInference</c>, see the generated source under <c>obj/</c>), each timed on its own with
/// warm caches; the whole generated forward is timed too, so the replay's sum can be checked against it.
/// Usage: <c>profile [--threads N] [--reps N]</c>; <c>profile --convs [--batch N]</c> times ResNet-18's convolutions one by one against libtorch instead (<see cref="ConvProfile"/>).
/// </summary>
public static class ProfileCommand
{
    /// <summary>Runs the profile and prints a markdown table.</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int threads = IntOption(args, "--threads", 1);
        int reps = IntOption(args, "--reps", 15);
        PeerNative.TuneMalloc();
        if (Array.IndexOf(args, "--convs") >= 0)
        {
            ConvProfile.Run(threads, IntOption(args, "--batch", 16), reps, Median);
            return 0;
        }

        PeerBlock data = PeerBlock.Create("ResNet", threads);
        IFusedModel model = data.Model;
        model.Execution.ConvAlgorithm = ConvAlgorithm.Direct;
        int batch = data.Batch;
        float[] reference = data.InferForward();

        var fused = ReplayInference(data, threads, reps, reference);
        float[] wholeOutput = new float[batch * model.OutputLength];
        for (int i = 0; i < WarmupChains; i++)
        {
            model.Forward(data.Input, wholeOutput);
        }

        double fusedWhole = Median(reps, () => model.Forward(data.Input, wholeOutput));
        var algorithms = new List<(ConvAlgorithm Algorithm, double Us)>();
        foreach (ConvAlgorithm algorithm in new[] { ConvAlgorithm.Winograd2x2, ConvAlgorithm.Winograd4x4 })
        {
            model.Execution.ConvAlgorithm = algorithm;
            for (int i = 0; i < WarmupChains; i++)
            {
                model.Forward(data.Input, wholeOutput);
            }

            algorithms.Add((algorithm, Median(reps, () => model.Forward(data.Input, wholeOutput))));
        }

        model.Execution.ConvAlgorithm = ConvAlgorithm.Direct;

        (Dictionary<string, double> ortNodes, double ortWhole) = OrtProfile(data, threads, reps);

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ResNet block inference, batch {batch}, {threads} thread(s), median of {reps}; load average {LoadAverage()}"));
        Console.WriteLine();
        Console.WriteLine("| FusedLayers kernel | µs |");
        Console.WriteLine("|---|--:|");
        foreach ((_, string name, _, double us) in fused)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {us:F0} |"));
        }

        // Side by side per stage. ONNX Runtime fuses too (Conv + BN + ReLU, Conv + BN + Add + ReLU in its NCHWc
        // transformer) and names a fused node after one of its members, so each of its nodes is charged to the stage
        // that holds the layer it is named after.
        Console.WriteLine();
        Console.WriteLine("| stage | FusedLayers µs | ONNX Runtime nodes | ORT µs | FL / ORT |");
        Console.WriteLine("|---|--:|---|--:|--:|");
        var stages = fused.GroupBy(f => f.Stage).ToList();
        double fusedSum = 0, ortSum = 0;
        var charged = new HashSet<string>();
        foreach (var stage in stages)
        {
            var layers = new HashSet<string>(stage.SelectMany(f => f.Peers));
            string[] nodes = [.. ortNodes.Keys.Where(k => layers.Contains(k.EndsWith(NchwcSuffix, StringComparison.Ordinal) ? k[..^NchwcSuffix.Length] : k))];
            charged.UnionWith(nodes);
            double us = stage.Sum(f => f.Us), ort = nodes.Sum(k => ortNodes[k]);
            fusedSum += us;
            ortSum += ort;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {stage.Key} | {us:F0} | {string.Join(" + ", nodes)} | {ort:F0} | {(ort > 0 ? (us / ort).ToString("F2", CultureInfo.InvariantCulture) : "-")} |"));
        }

        double other = ortNodes.Where(kv => !charged.Contains(kv.Key)).Sum(kv => kv.Value);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| (ORT layout reorders and the rest) | | | {other:F0} | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| sum | {fusedSum:F0} | | {ortSum + other:F0} | {fusedSum / (ortSum + other):F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| whole forward | {fusedWhole:F0} | session.Run | {ortWhole:F0} | {fusedWhole / ortWhole:F2} |"));
        foreach ((ConvAlgorithm algorithm, double us) in algorithms)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| whole forward, {algorithm} forced | {us:F0} | session.Run | {ortWhole:F0} | {us / ortWhole:F2} |"));
        }
        Console.WriteLine();
        Console.WriteLine("ONNX Runtime nodes (optimised graph): " + string.Join(", ", ortNodes.Select(kv => $"{kv.Key} {kv.Value:F0}")));
        return 0;
    }

    /// <summary>The kernels of the generated inference pass, each timed on its own: (stage, label, the layers it covers, µs).</summary>
    private static List<(string Stage, string Name, string[] Peers, double Us)> ReplayInference(PeerBlock data, int threads, int reps, float[] reference)
    {
        IFusedModel model = data.Model;
        int n = data.Batch;
        var context = KernelContext.Create(KernelIsa.Avx512, threads) with { ConvAlgorithm = ConvAlgorithm.Direct };
        float[] P(string name) => data.Parameter(name);
        float[] B(string name) => data.FloatBuffer(name);

        var stem = new Conv2dGeometry(3, 64, 224, 224, 7, 2, 3);
        var block = new Conv2dGeometry(64, 64, 56, 56, 3, 1, 1);
        var pool = new Pool2dGeometry(64, 112, 112, 3, 2, 1);
        int stemOut = n * 64 * 112 * 112, planes = n * 64 * 56 * 56;
        float[] z0 = new float[stemOut], y0 = new float[planes];
        float[] z = new float[planes], a = new float[planes], h = new float[planes], b1 = new float[planes], b2 = new float[planes];
        float[] pooled = new float[n * 64], logits = new float[n * ResNet.ResNetStage.Classes];
        float[] scale = new float[64], shift = new float[64], folded = new float[64 * 64 * 9], foldedBias = new float[64];

        void ScaleShift(string bn) => BatchNormKernels.ScaleShift(B(bn + ".running_mean"), B(bn + ".running_var"), P(bn + ".weight"), P(bn + ".bias"), 1e-5, default, scale, shift);

        var steps = new List<(string, string, string[], Action)>
        {
            ("stem", "Stem conv 7x7 s2 (3->64, im2col)", ["Stem"], () => Conv2dKernels.Forward(context, stem, n, data.Input, P("Stem.weight"), default, z0, Activation.Identity, default, default)),
            ("stem", "StemBn + ReLU + StemPool (fused)", ["StemBn", "StemRelu", "StemPool"], () =>
            {
                ScaleShift("StemBn");
                PoolKernels.MaxForward(context, pool, n, z0, scale, shift, Activation.ReLU, y0, default); // values only, as inference
            }),
        };
        foreach (string blk in new[] { "Block1", "Block2" })
        {
            float[] x = blk == "Block1" ? y0 : b1;
            float[] y = blk == "Block1" ? b1 : b2;
            steps.Add(($"{blk} conv1", $"{blk}Conv1 + Bn1 folded + ReLU", [blk + "Conv1", blk + "Bn1", blk + "Relu1"], () =>
            {
                ScaleShift(blk + "Bn1");
                BatchNormKernels.FoldIntoWeights(context, P(blk + "Conv1.weight"), default, scale, shift, folded, foldedBias);
                Conv2dKernels.Forward(context, block, n, x, folded, foldedBias, h, Activation.ReLU, default, default);
            }));
            steps.Add(($"{blk} conv2 + residual", $"{blk}Conv2 (into Z)", [blk + "Conv2", blk + "Bn2"], () =>
                Conv2dKernels.Forward(context, block, n, h, P(blk + "Conv2.weight"), default, z, Activation.Identity, default, default)));
            steps.Add(($"{blk} conv2 + residual", $"{blk}Bn2 + add + ReLU (residual pass)", [blk + "Add", blk + "Relu2"], () =>
            {
                ScaleShift(blk + "Bn2");
                ResidualKernels.Forward(context, Activation.ReLU, n, 64, 56 * 56, z, scale, shift, x, default, default, y);
            }));
        }

        steps.Add(("head", "Gap", ["Gap"], () => PoolKernels.GlobalAvgForward(context, n, 64, 56 * 56, b2, pooled)));
        steps.Add(("head", "Fc", ["Flat", "Fc"], () => LinearKernels.Forward(context, new LinearGeometry(64, ResNet.ResNetStage.Classes), n, pooled, P("Fc.weight"), P("Fc.bias"), logits, Activation.Identity, default, default)));

        // The replay must compute what the generated pass computes.
        foreach ((_, _, _, Action run) in steps)
        {
            run();
        }

        PeerBlock.Check("profile replay vs the generated inference", reference, logits, 1e-4);
        // Warm up the whole chain first: .NET's tiered JIT compiles a method at full optimisation only after about 30
        // calls (or a loop's on-stack replacement), so a kernel timed after two calls still ran its tier-0 code
        // (seen: the stem pool at 2.3x its steady time).
        for (int i = 0; i < WarmupChains; i++)
        {
            foreach ((_, _, _, Action run) in steps)
            {
                run();
            }
        }

        return [.. steps.Select(s => (s.Item1, s.Item2, s.Item3, Median(reps, s.Item4)))];
    }

    /// <summary>ONNX Runtime's per-node kernel times (µs, median over runs) from its profiler, and the median session.Run.</summary>
    private static (Dictionary<string, double> Nodes, double Whole) OrtProfile(PeerBlock data, int threads, int reps)
    {
        string prefix = Path.Combine(Path.GetTempPath(), $"fusedlayers-ort-profile-{Environment.ProcessId}");
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            EnableProfiling = true,
            ProfileOutputPathPrefix = prefix,
        };
        using var session = new InferenceSession(OnnxBlockModel.Build(data), options);
        var output = new float[data.Batch * data.Model.OutputLength];
        using var runOptions = new RunOptions();
        using var inputValue = OrtValue.CreateTensorValueFromMemory(data.Input, data.InputShape);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(output, data.OutputShape);
        void Run() => session.Run(runOptions, [OnnxBlockModel.InputName], [inputValue], [OnnxBlockModel.OutputName], [outputValue]);
        double whole = Median(reps, Run);
        string file = session.EndProfiling();
        PeerBlock.Check("ONNX Runtime vs FusedLayers inference", data.InferForward(), output);

        var perNode = new Dictionary<string, List<double>>();
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file)))
        {
            foreach (JsonElement e in doc.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() != "Node")
                {
                    continue;
                }

                string name = e.GetProperty("name").GetString() ?? string.Empty;
                if (!name.EndsWith("_kernel_time", StringComparison.Ordinal))
                {
                    continue;
                }

                string node = name[..^"_kernel_time".Length];
                if (!perNode.TryGetValue(node, out List<double>? list))
                {
                    perNode[node] = list = [];
                }

                list.Add(e.GetProperty("dur").GetDouble());
            }
        }

        File.Delete(file);

        // Every run's events, warm-up included: the median drops the first runs' outliers.
        return (perNode.ToDictionary(kv => kv.Key, kv => MedianOf(kv.Value)), whole);
    }

    /// <summary>
    /// ONNX Runtime's layout transformer renames the nodes it rewrites to its blocked NCHWc format, and a fused node
    /// carries one member's name (Conv + BN + ReLU is "StemRelu_nchwc", Conv + BN + Add + ReLU "Block1Bn2_nchwc").
    /// </summary>
    private const string NchwcSuffix = "_nchwc";

    /// <summary>Whole-chain warm-up runs before anything is timed (past the tiered JIT's promotion threshold).</summary>
    private const int WarmupChains = 40;

    /// <summary>Median µs of <paramref name="reps"/> calls after two warm-up calls (the caller warms the JIT).</summary>
    private static double Median(int reps, Action action)
    {
        action();
        action();
        var times = new List<double>(reps);
        for (int i = 0; i < reps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return MedianOf(times);
    }

    private static double MedianOf(List<double> values)
    {
        values.Sort();
        int m = values.Count / 2;
        return values.Count % 2 == 1 ? values[m] : (values[m - 1] + values[m]) / 2;
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
