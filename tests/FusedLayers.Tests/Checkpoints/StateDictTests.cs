using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedLayers.Checkpoints;
using FusedLayers.Tests.Models;
using FusedLayers.Tests.Numerics;

namespace FusedLayers.Tests.Checkpoints;

/// <summary>
/// Saving and loading state dicts: exact round trips, PyTorch's strict-mode errors (with the model left
/// untouched), non-strict loading of the intersection, and PyTorch's compatibility rules.
/// </summary>
public class StateDictTests
{
    public static TheoryData<string> Models => new() { nameof(SeedModel), nameof(TwoBlockCnn), nameof(BatchNormOptionsModel), nameof(LinearBnReluModel) };

    private static IFusedModel Create(string name, int seed) => name switch
    {
        nameof(SeedModel) => new SeedModel(seed),
        nameof(TwoBlockCnn) => new TwoBlockCnn(seed),
        nameof(BatchNormOptionsModel) => new BatchNormOptionsModel(seed),
        nameof(LinearBnReluModel) => new LinearBnReluModel(seed),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void A_saved_model_loads_back_bit_for_bit_and_infers_identically(string name)
    {
        IFusedModel trained = ModelState.Trained(Create(name, 1), seed: 2);
        using var stream = new MemoryStream();
        StateDict.Save(trained, stream);
        stream.Position = 0;

        IFusedModel fresh = Create(name, 99);
        StateDictLoadResult result = StateDict.Load(fresh, stream);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Equal(trained.Parameters.Count + trained.Buffers.Count, result.LoadedCount);
        new ModelState(trained).AssertEqual(fresh);
        Assert.Contains(fresh.Buffers, b => b.ElementType == BufferElementType.Int64 && b.Int64Data[0] == 2);

        trained.Eval();
        fresh.Eval();
        float[] input = RandomData.Normal(new Random(3), 3 * fresh.InputLength);
        var a = new float[3 * fresh.OutputLength];
        var b = new float[a.Length];
        trained.Forward(input, a);
        fresh.Forward(input, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Files_round_trip_with_metadata_and_pytorch_dtypes_and_shapes()
    {
        using var dir = new Data.IdxTestFiles.TempDirectory();
        string path = Path.Combine(dir.Path, "seed.safetensors");
        var model = ModelState.Trained(new SeedModel(1), seed: 4);
        StateDict.Save(model, path, new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "3" });
        Assert.False(File.Exists(path + ".tmp"));

        SafeTensorsFile file = SafeTensorsFile.Read(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("3", file.Metadata["epoch"]);
        Assert.Equal(
            ["Bn.num_batches_tracked", "Conv.weight", "Conv.bias", "Bn.weight", "Bn.bias", "Bn.running_mean", "Bn.running_var"],
            file.Tensors.Select(t => t.Name));
        SafeTensor count = file.Find("Bn.num_batches_tracked")!;
        Assert.Equal(("I64", 0), (count.DType, count.Shape.Count));
        Assert.Equal([2L], count.ToInt64());
        SafeTensor weight = file.Find("Conv.weight")!;
        Assert.Equal("F32", weight.DType);
        Assert.Equal([64L, 3, 3, 3], weight.Shape);
        Assert.Equal(model.Parameters[0].Data, weight.ToFloat32());

        var loaded = new SeedModel(5);
        StateDict.Load(loaded, path);
        new ModelState(model).AssertEqual(loaded);
    }

    [Fact]
    public void Size_mismatches_give_pytorchs_message_and_leave_the_model_untouched()
    {
        SafeTensorsFile checkpoint = StateDict.ToSafeTensors(new SeedModel(1));
        var narrow = ModelState.Trained(new NarrowSeedModel(2), seed: 1);
        var before = new ModelState(narrow);

        foreach (bool strict in new[] { true, false })
        {
            StateDictLoadException e = Assert.Throws<StateDictLoadException>(() => StateDict.Load(narrow, checkpoint, strict));
            Assert.Equal(
                "Error(s) in loading state_dict for NarrowSeedModel:\n" +
                "\tsize mismatch for Conv.weight: copying a param with shape [64, 3, 3, 3] from checkpoint, the shape in current model is [32, 3, 3, 3].\n" +
                "\tsize mismatch for Conv.bias: copying a param with shape [64] from checkpoint, the shape in current model is [32].\n" +
                "\tsize mismatch for Bn.weight: copying a param with shape [64] from checkpoint, the shape in current model is [32].\n" +
                "\tsize mismatch for Bn.bias: copying a param with shape [64] from checkpoint, the shape in current model is [32].\n" +
                "\tsize mismatch for Bn.running_mean: copying a param with shape [64] from checkpoint, the shape in current model is [32].\n" +
                "\tsize mismatch for Bn.running_var: copying a param with shape [64] from checkpoint, the shape in current model is [32].",
                e.Message);
            Assert.Equal(6, e.Mismatches.Count);
            before.AssertEqual(narrow); // num_batches_tracked matched, but nothing was copied
        }
    }

    [Fact]
    public void Missing_and_unexpected_keys_fail_a_strict_load_with_pytorchs_message()
    {
        SafeTensorsFile checkpoint = StateDict.ToSafeTensors(ModelState.Trained(new SeedModel(1), seed: 3));
        var renamed = new RenamedSeedModel(7);
        var before = new ModelState(renamed);

        StateDictLoadException e = Assert.Throws<StateDictLoadException>(() => StateDict.Load(renamed, checkpoint));
        Assert.Equal(
            "Error(s) in loading state_dict for RenamedSeedModel:\n" +
            "\tMissing key(s) in state_dict: \"Norm.weight\", \"Norm.bias\", \"Norm.running_mean\", \"Norm.running_var\". \n" +
            "\tUnexpected key(s) in state_dict: \"Bn.weight\", \"Bn.bias\", \"Bn.running_mean\", \"Bn.running_var\", \"Bn.num_batches_tracked\". ",
            e.Message);
        Assert.Equal(4, e.MissingKeys.Count);
        Assert.Equal(5, e.UnexpectedKeys.Count);
        before.AssertEqual(renamed);
    }

    [Fact]
    public void A_non_strict_load_copies_the_intersection_and_reports_the_rest()
    {
        var source = ModelState.Trained(new SeedModel(1), seed: 3);
        var renamed = new RenamedSeedModel(7);
        float[] normWeight = (float[])renamed.Parameters[2].Data.Clone();

        StateDictLoadResult result = StateDict.Load(renamed, StateDict.ToSafeTensors(source), strict: false);
        Assert.Equal(["Norm.weight", "Norm.bias", "Norm.running_mean", "Norm.running_var"], result.MissingKeys);
        Assert.Equal(["Bn.weight", "Bn.bias", "Bn.running_mean", "Bn.running_var", "Bn.num_batches_tracked"], result.UnexpectedKeys);
        Assert.Equal(2, result.LoadedCount);
        Assert.Equal(source.Parameters[0].Data, renamed.Parameters[0].Data); // Conv.weight
        Assert.Equal(source.Parameters[1].Data, renamed.Parameters[1].Data); // Conv.bias
        Assert.Equal(normWeight, renamed.Parameters[2].Data);
    }

    [Fact]
    public void A_checkpoint_without_num_batches_tracked_loads_and_keeps_the_models_count_like_pytorch()
    {
        var source = ModelState.Trained(new SeedModel(1), seed: 3);
        var target = ModelState.Trained(new SeedModel(2), seed: 4, steps: 5);
        SafeTensorsFile file = new(StateDict.ToSafeTensors(source).Tensors.Where(t => !t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)));

        StateDictLoadResult result = StateDict.Load(target, file);
        Assert.Empty(result.MissingKeys);
        Assert.Equal(5, target.Bn.NumBatchesTracked);
        Assert.Equal(source.Bn.RunningMean, target.Bn.RunningMean);
    }

    [Fact]
    public void Other_dtypes_convert_like_copy_and_a_one_element_vector_loads_into_a_scalar()
    {
        var model = new LinearBnReluModel(1);
        var tensors = new List<SafeTensor>();
        foreach (Parameter p in model.Parameters)
        {
            // float64 on disk
            var bytes = new byte[p.Length * 8];
            for (int i = 0; i < p.Length; i++)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), (i + 0.5) / 3.0);
            }

            tensors.Add(new SafeTensor(p.Name, "F64", p.Shape.Select(d => (long)d).ToArray(), bytes));
        }

        tensors.Add(SafeTensor.FromFloat32("Bn.running_mean", [16], new float[16]));
        tensors.Add(SafeTensor.FromFloat32("Bn.running_var", [16], Enumerable.Repeat(2f, 16).ToArray()));
        tensors.Add(new SafeTensor("Bn.num_batches_tracked", "I32", [1], BitConverter.GetBytes(7))); // PyTorch 0.3 style: [1], int32

        StateDict.Load(model, new SafeTensorsFile(tensors));
        Assert.Equal((float)(2.5 / 3.0), model.Parameters[0].Data[2]);
        Assert.Equal(7, model.Bn.NumBatchesTracked);
        Assert.All(model.Bn.RunningVar!, v => Assert.Equal(2f, v));

        // A float count would be truncated silently: refused, nothing changed.
        tensors[^1] = SafeTensor.FromFloat32("Bn.num_batches_tracked", [], [3.7f]);
        var before = new ModelState(model);
        StateDictLoadException e = Assert.Throws<StateDictLoadException>(() => StateDict.Load(model, new SafeTensorsFile(tensors)));
        Assert.Contains("While copying the parameter named \"Bn.num_batches_tracked\"", e.Message, StringComparison.Ordinal);
        before.AssertEqual(model);
    }

    [Fact]
    public void A_corrupt_file_fails_before_the_model_is_touched()
    {
        var model = new SeedModel(1);
        var before = new ModelState(model);
        using var stream = new MemoryStream();
        StateDict.Save(ModelState.Trained(new SeedModel(2), seed: 1), stream);
        byte[] bytes = stream.ToArray();
        Assert.Throws<SafeTensorsFormatException>(() => StateDict.Load(model, new MemoryStream(bytes, 0, bytes.Length - 1)));
        before.AssertEqual(model);
    }
}
