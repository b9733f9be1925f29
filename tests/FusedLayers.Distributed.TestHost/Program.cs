using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using FusedLayers;
using FusedLayers.Distributed;
using FusedLayers.Distributed.TestHost;

// Usage (each under `mpiexec.mpich -n N dotnet FusedLayers.Distributed.TestHost.dll ...`):
//   train <model> <sync 0|1> <localBatch> <steps> <outDir>   each rank writes outDir/rank<R>.json (RunResult)
//   overlap <model> <sync 0|1> <localBatch> <outDir>         each rank writes outDir/rank<R>.json (OverlapResult)
//   fault <localBatch> <failRank> <failStep>                  failRank throws at failStep; the job must abort
//   exit <failRank>                                           failRank exits (code 0, no MPI_Finalize) after set-up
//   stall <failRank>                                          failRank sleeps; the others' watchdog (3 s) ends the job
//   schema                                                    rank 1 builds a different model; every rank prints the error
//   checkpoint <outDir>                                       rank 0 saves, every rank loads; prints "checkpoint ok"
string scenario = args.Length > 0 ? args[0] : "";
int Int(int i) => int.Parse(args[i], CultureInfo.InvariantCulture);
var options = new ProcessGroupOptions { CollectiveTimeout = TimeSpan.FromSeconds(scenario == "stall" ? 3 : 60) };

return ProcessGroup.Run(
    group =>
    {
        int rank = group.Rank, size = group.Size;
        switch (scenario)
        {
            case "train":
            {
                IFusedModel model = TrainingRun.CreateModel(args[1], TrainingRun.RootSeed + (101 * rank));
                var ddp = new DistributedDataParallel(group, model, new DistributedOptions { SyncBatchNorm = args[2] == "1", BucketBytes = 1024 });
                RunResult result = TrainingRun.Train(model, ddp, Int(3), rank, size, Int(4));
                result.BatchNormCollectives = group.Communication.Calls(CommunicationKind.BatchNorm);
                File.WriteAllText(Path.Combine(args[5], $"rank{rank}.json"), JsonSerializer.Serialize(result));
                Console.WriteLine(
                    $"rank {rank} of {size}: {ddp.BucketCount} buckets, {ddp.GradientElements} gradient floats, " +
                    $"communication {group.Communication.TrainingSeconds * 1e3:0.0} ms");
                return 0;
            }

            case "overlap":
            {
                OverlapResult result = OverlapRun.Run(group, args[1], args[2] == "1", Int(3));
                File.WriteAllText(Path.Combine(args[4], $"rank{rank}.json"), JsonSerializer.Serialize(result));
                return 0;
            }

            case "fault":
            {
                IFusedModel model = TrainingRun.CreateModel("sync", TrainingRun.RootSeed);
                var ddp = new DistributedDataParallel(group, model, new DistributedOptions { SyncBatchNorm = true });
                TrainingRun.Train(model, ddp, Int(1), rank, size, steps: 1000, failAtStep: rank == Int(2) ? Int(3) : -1);
                return 0;
            }

            case "exit":
            {
                IFusedModel model = TrainingRun.CreateModel("sync", TrainingRun.RootSeed);
                var ddp = new DistributedDataParallel(group, model, new DistributedOptions { SyncBatchNorm = true });
                if (rank == Int(1))
                {
                    Console.Out.Flush();
                    Environment.Exit(0);
                }

                TrainingRun.Train(model, ddp, 4, rank, size, steps: 1000);
                return 0;
            }

            case "stall":
            {
                IFusedModel model = TrainingRun.CreateModel("sync", TrainingRun.RootSeed);
                var ddp = new DistributedDataParallel(group, model, new DistributedOptions { SyncBatchNorm = true });
                if (rank == Int(1))
                {
                    System.Threading.Thread.Sleep(TimeSpan.FromHours(1));
                }

                TrainingRun.Train(model, ddp, 4, rank, size, steps: 1000);
                return 0;
            }

            case "schema":
            {
                IFusedModel model = TrainingRun.CreateModel(rank == 1 ? "wide" : "sync", TrainingRun.RootSeed);
                try
                {
                    _ = new DistributedDataParallel(group, model);
                    Console.WriteLine($"rank {rank}: no mismatch found");
                    return 0;
                }
                catch (ModelSchemaMismatchException e)
                {
                    Console.WriteLine($"rank {rank}: {e.Message}");
                    return 3;
                }
            }

            case "checkpoint":
            {
                IFusedModel model = TrainingRun.CreateModel("sync", TrainingRun.RootSeed + rank);
                var ddp = new DistributedDataParallel(group, model, new DistributedOptions { SyncBatchNorm = true });
                TrainingRun.Train(model, ddp, 4, rank, size, steps: 2);
                string path = Path.Combine(args[1], "checkpoint.safetensors");
                ddp.SaveCheckpoint(path);
                float[][] saved = model.Parameters.Select(p => (float[])p.Data.Clone()).ToArray();
                float[][] running = model.Buffers.Where(b => b.ElementType == BufferElementType.Float32).Select(b => (float[])b.FloatData.Clone()).ToArray();
                foreach (Parameter p in model.Parameters)
                {
                    p.Data.AsSpan().Fill(rank + 1);
                }

                model.ResetParameters(rank + 50);
                ddp.LoadCheckpoint(path);
                bool same = model.Parameters.Select((p, i) => p.Data.AsSpan().SequenceEqual(saved[i])).All(x => x)
                    && model.Buffers.Where(b => b.ElementType == BufferElementType.Float32).Select((b, i) => b.FloatData.AsSpan().SequenceEqual(running[i])).All(x => x);
                Console.WriteLine(same ? $"rank {rank}: checkpoint ok" : $"rank {rank}: checkpoint differs after load");
                return same ? 0 : 4;
            }

            default:
                Console.Error.WriteLine($"Unknown scenario '{scenario}' (train, overlap, fault, exit, stall, schema, checkpoint).");
                return 2;
        }
    },
    options);
