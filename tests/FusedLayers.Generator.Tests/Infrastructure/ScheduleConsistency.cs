using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using FusedLayers.Generator.Planning;

namespace FusedLayers.Generator.Tests.Infrastructure;

/// <summary>
/// Checks that a generated model makes exactly the runtime calls its schedule lists: per kernel and per mode
/// (training forward, inference forward, backward, and the commit after a training forward), the
/// <c>global::FusedLayers.Kernels.{Class}.{Method}(</c> calls in the generated method bodies, in text order, equal
/// the schedule's passes (a <c>copy</c> pass is a span copy, not a runtime call). The header prints the schedule, so
/// this is what keeps the header and the code from disagreeing.
/// </summary>
internal static partial class ScheduleConsistency
{
    /// <summary>The mismatches between <paramref name="plan"/>'s schedule and <paramref name="generated"/>; empty when they agree.</summary>
    public static IReadOnlyList<string> Mismatches(FusionPlan plan, string generated)
    {
        var problems = new List<string>();
        int count = plan.Schedule.Kernels.Count;
        if (count == 0)
        {
            return problems;
        }

        Dictionary<int, List<string>> training = Segment(Body(generated, "private void _flForwardTraining("), backward: false, out Dictionary<int, List<string>> commit);
        Dictionary<int, List<string>> inference = Segment(Body(generated, "private void _flForwardInference("), backward: false, out _);
        Dictionary<int, List<string>> backward = Segment(Body(generated, "private void _flBackward("), backward: true, out _);
        foreach (KernelSchedule kernel in plan.Schedule.Kernels)
        {
            int index = kernel.Kernel.Index;
            Compare(problems, index, "training forward", kernel.TrainingForward, training);
            Compare(problems, index, "inference forward", kernel.InferenceForward, inference);
            Compare(problems, index, "backward", kernel.Backward, backward);
            Compare(problems, index, "commit", kernel.Commit, commit);
        }

        return problems;
    }

    private static void Compare(List<string> problems, int index, string mode, IEnumerable<SchedulePass> passes, Dictionary<int, List<string>> calls)
    {
        string[] expected = passes.Where(p => p.Call != "copy").Select(p => p.Call).ToArray();
        string[] actual = calls.TryGetValue(index, out List<string>? list) ? list.ToArray() : [];
        if (!expected.SequenceEqual(actual))
        {
            problems.Add($"kernel {index} {mode}:\n    schedule:  {string.Join(", ", expected)}\n    generated: {string.Join(", ", actual)}");
        }
    }

    /// <summary>The lines of the method whose declaration contains <paramref name="declaration"/>, up to its closing brace.</summary>
    private static List<string> Body(string generated, string declaration)
    {
        string[] lines = generated.Replace("\r\n", "\n").Split('\n');
        int start = System.Array.FindIndex(lines, l => l.Contains(declaration, System.StringComparison.Ordinal));
        if (start < 0)
        {
            return [];
        }

        string indent = lines[start][..(lines[start].Length - lines[start].TrimStart().Length)];
        var body = new List<string>();
        for (int i = start + 2; i < lines.Length && lines[i] != indent + "}"; i++)
        {
            body.Add(lines[i]);
        }

        return body;
    }

    /// <summary>
    /// The runtime calls of a method body per kernel, split at its <c>// Kernel N</c> comments. In backward, the
    /// skip-gradient adds before a kernel's comment (<c>// 'x' also feeds ...</c>) belong to that kernel, and the
    /// model-input skip adds after kernel 0 to kernel 0. In the training forward, the calls after
    /// <c>// Every kernel succeeded</c> are the commit, attributed by the kernel's field prefix (<c>_flK3</c>, <c>k3</c>).
    /// </summary>
    private static Dictionary<int, List<string>> Segment(List<string> body, bool backward, out Dictionary<int, List<string>> commit)
    {
        var result = new Dictionary<int, List<string>>();
        commit = new Dictionary<int, List<string>>();
        var pending = new List<string>();
        bool inPending = false, inCommit = false;
        int current = -1;
        foreach (string line in body)
        {
            string trimmed = line.TrimStart();
            Match marker = (backward ? BackwardMarker() : ForwardMarker()).Match(trimmed);
            if (marker.Success)
            {
                current = int.Parse(marker.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                List<string> list = For(result, current);
                list.AddRange(pending);
                pending.Clear();
                inPending = false;
                continue;
            }

            if (backward && trimmed.StartsWith("// '", System.StringComparison.Ordinal) && trimmed.Contains(" also feeds ", System.StringComparison.Ordinal))
            {
                inPending = true;
                continue;
            }

            if (backward && trimmed.StartsWith("// The model input also feeds", System.StringComparison.Ordinal))
            {
                inPending = false;
                current = 0;
                continue;
            }

            if (!backward && trimmed.StartsWith("// Every kernel succeeded", System.StringComparison.Ordinal))
            {
                inCommit = true;
                continue;
            }

            foreach (Match call in Call().Matches(line))
            {
                string name = call.Groups[1].Value + "." + call.Groups[2].Value;
                if (inCommit)
                {
                    Match owner = KernelField().Match(line);
                    For(commit, owner.Success ? int.Parse(owner.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1).Add(name);
                }
                else if (inPending)
                {
                    pending.Add(name);
                }
                else
                {
                    For(result, current).Add(name);
                }
            }
        }

        return result;
    }

    private static List<string> For(Dictionary<int, List<string>> map, int index)
    {
        if (!map.TryGetValue(index, out List<string>? list))
        {
            list = [];
            map[index] = list;
        }

        return list;
    }

    [GeneratedRegex(@"^// Kernel (\d+): ")]
    private static partial Regex ForwardMarker();

    [GeneratedRegex(@"^// Kernel (\d+) backward: ")]
    private static partial Regex BackwardMarker();

    [GeneratedRegex(@"global::FusedLayers\.Kernels\.(\w+)\.(\w+)\(")]
    private static partial Regex Call();

    [GeneratedRegex(@"(?:_flK|\bk)(\d+)[A-Z]")]
    private static partial Regex KernelField();
}
