using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using CsCheck;
using FusedLayers.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit.Abstractions;

namespace FusedLayers.Generator.Tests.Fuzzing;

/// <summary>
/// Property-based test of the generator over random models (<see cref="RandomModelSource"/>): for every model
/// the generator never throws; a model without FL errors gets generated code with no C# error or warning; a
/// model with FL errors gets no C# error inside generated code; a valid model is compiled, loaded, trained
/// one step and run in inference, with finite outputs of the right length. The cases are seeded: CI runs the
/// same <see cref="Cases"/> every time; a failure prints the case's seed, and
/// <c>FUSEDLAYERS_FUZZ_SEED=&lt;seed&gt;</c> replays it (with CsCheck shrinking the model), while
/// <c>FUSEDLAYERS_FUZZ_CASES=N</c> runs more cases from other seeds.
/// </summary>
public sealed class GeneratorFuzzTests(ITestOutputHelper output)
{
    /// <summary>Cases per CI run (about 25-40 s on 2 cores).</summary>
    private const int Cases = 400;

    /// <summary>The CI run's first seed; case i uses PCG stream i of this seed.</summary>
    private const ulong BaseSeed = 20261203;

    private static readonly Gen<uint[]> Tapes = Gen.UInt.Array[8, 96];

    [Fact]
    public void Random_models_never_break_the_generator_or_the_generated_code()
    {
        string? replay = Environment.GetEnvironmentVariable("FUSEDLAYERS_FUZZ_SEED");
        if (replay is not null)
        {
            Tapes.Sample(tape => Check(RandomModelSource.From(tape)), seed: replay, iter: 1, threads: 1, print: tape => RandomModelSource.From(tape).Source);
            return;
        }

        int cases = int.TryParse(Environment.GetEnvironmentVariable("FUSEDLAYERS_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : Cases;
        ulong baseSeed = cases == Cases ? BaseSeed : (ulong)Environment.TickCount64;
        var tally = new Tally();
        for (int i = 0; i < cases; i++)
        {
            var pcg = new PCG((uint)i, baseSeed);
            string seed = pcg.ToString();
            uint[] tape = Tapes.Generate(pcg, null, out _);
            RandomModelSource model = RandomModelSource.From(tape);
            try
            {
                tally.Add(Check(model));
            }
            catch (Exception exception)
            {
                throw new Xunit.Sdk.XunitException(
                    $"Fuzz case {i} failed; replay with FUSEDLAYERS_FUZZ_SEED={seed}\n--- model ---\n{model.Source}--- failure ---\n{exception}");
            }
        }

        output.WriteLine($"{cases} random models: {tally.Valid} valid ({tally.Ran} compiled, trained and run), {tally.Diagnosed} with FL errors.");
        Assert.True(tally.Valid > cases / 4, $"Only {tally.Valid} of {cases} models were valid: the fuzzer no longer reaches the code generator.");
        Assert.True(tally.Diagnosed > cases / 20, $"Only {tally.Diagnosed} of {cases} models had FL errors: the fuzzer no longer reaches the diagnostics.");
    }

    private static Outcome Check(RandomModelSource model)
    {
        ProbeResult run = GeneratorProbe.Run(model.Source);
        Assert.True(run.Exception is null, "The generator threw: " + run.Exception);
        Assert.DoesNotContain(run.DriverDiagnostics, d => d.Id == "CS8785");
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "FL0099");

        bool flErrors = run.GeneratorDiagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        if (flErrors)
        {
            Assert.True(run.ErrorsInGenerated.IsEmpty, "A model with FL errors has C# errors inside generated code:\n" + run.Describe());
            return Outcome.Diagnosed;
        }

        if (run.InUserSource.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            // The mutation made the user's own C# invalid (an option the attribute does not have, a record's
            // partial property ...): the compiler reports it there; generated code must stay error-free.
            Assert.True(run.ErrorsInGenerated.IsEmpty, "C# errors inside generated code next to user errors:\n" + run.Describe());
            return Outcome.Diagnosed;
        }

        Assert.True(run.InGenerated.IsEmpty, "Generated code of a model without FL errors has C# errors or warnings:\n" + run.Describe());
        return TrainAndInfer(run.Output) ? Outcome.Ran : Outcome.Valid;
    }

    /// <summary>Loads the compiled model, trains one step and runs inference; false when the model is too large to bother.</summary>
    private static bool TrainAndInfer(Compilation compilation)
    {
        using var image = new MemoryStream();
        EmitResult emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        image.Position = 0;
        var context = new AssemblyLoadContext("fuzz", isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromStream(image);
            Type type = assembly.GetTypes().Single(t => typeof(IFusedModel).IsAssignableFrom(t));
            if (type.IsAbstract)
            {
                return false;
            }

            var model = (IFusedModel)Activator.CreateInstance(type)!;
            const int batch = 2;
            if ((long)model.InputLength * batch > 1 << 16 || (long)model.OutputLength * batch > 1 << 16)
            {
                return false;
            }

            var random = new Random(model.InputLength);
            float[] input = [.. Enumerable.Range(0, model.InputLength * batch).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            float[] result = new float[model.OutputLength * batch];

            model.Train();
            model.Forward(input, result);
            Assert.All(result, v => Assert.True(float.IsFinite(v), "Training forward produced " + v));
            float[] gradInput = new float[input.Length];
            model.Backward(Enumerable.Repeat(1f / result.Length, result.Length).ToArray(), gradInput);
            Assert.All(gradInput, v => Assert.True(float.IsFinite(v), "Backward produced an input gradient of " + v));
            Assert.All(model.Parameters, p => Assert.All(p.Grad, v => Assert.True(float.IsFinite(v), $"Gradient of {p.Name} holds {v}")));

            model.Eval();
            Array.Clear(result);
            model.Forward(input, result);
            Assert.All(result, v => Assert.True(float.IsFinite(v), "Inference produced " + v));
            return true;
        }
        finally
        {
            context.Unload();
        }
    }

    private enum Outcome
    {
        Diagnosed,
        Valid,
        Ran,
    }

    private sealed class Tally
    {
        public int Diagnosed { get; private set; }

        public int Valid { get; private set; }

        public int Ran { get; private set; }

        public void Add(Outcome outcome)
        {
            if (outcome == Outcome.Diagnosed)
            {
                Diagnosed++;
                return;
            }

            Valid++;
            Ran += outcome == Outcome.Ran ? 1 : 0;
        }
    }
}
