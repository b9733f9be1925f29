using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Tests.Infrastructure;

/// <summary>
/// Reads the tracked steps of a generator run (<c>WithTrackingName(TrackingNames.*)</c>) and checks
/// them the way andrewlock's "Creating a source generator" part 10 and CommunityToolkit do.
/// </summary>
internal static class IncrementalSteps
{
    /// <summary>
    /// Types that must never be held by a tracked step's output: they pin a compilation in memory and
    /// defeat caching (none of them compares by value across compilations).
    /// </summary>
    public static ImmutableArray<Type> BannedTypes { get; } =
    [
        typeof(Compilation),
        typeof(ISymbol),
        typeof(SyntaxNode),
        typeof(SyntaxTree),
        typeof(SemanticModel),
        typeof(Location),
        typeof(AttributeData),
        typeof(SyntaxToken),
        typeof(SyntaxTrivia),
        typeof(SyntaxReference),
    ];

    /// <summary>Every string constant of <see cref="TrackingNames"/>, read by reflection so that new names are covered.</summary>
    public static ImmutableArray<string> AllTrackingNames { get; } =
    [
        .. typeof(TrackingNames)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Where(name => !string.IsNullOrEmpty(name)),
    ];

    /// <summary>The tracked steps of the (single) generator in <paramref name="result"/> whose name is a <see cref="TrackingNames"/> constant.</summary>
    /// <param name="result">A run result from a driver with step tracking on.</param>
    /// <returns>Steps by tracking name.</returns>
    public static ImmutableDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> Tracked(GeneratorDriverRunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Results.Single().TrackedSteps
            .Where(pair => AllTrackingNames.Contains(pair.Key))
            .ToImmutableDictionary(pair => pair.Key, pair => pair.Value);
    }

    /// <summary>Every output of every run of the tracked step <paramref name="trackingName"/>.</summary>
    /// <param name="result">The run result.</param>
    /// <param name="trackingName">A <see cref="TrackingNames"/> constant.</param>
    /// <returns>The outputs with their reasons (empty when the step did not run).</returns>
    public static ImmutableArray<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorDriverRunResult result, string trackingName)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Results.Single().TrackedSteps.TryGetValue(trackingName, out ImmutableArray<IncrementalGeneratorRunStep> steps)
            ? [.. steps.SelectMany(step => step.Outputs)]
            : [];
    }

    /// <summary>
    /// Lines <c>step[run].output[i]: Reason</c> for every tracked output whose reason is not
    /// Cached or Unchanged, plus the source-output steps that are not Cached. Empty when the second
    /// run reused everything.
    /// </summary>
    /// <param name="result">The second run's result.</param>
    /// <returns>Descriptions of the outputs that were recomputed to a different value.</returns>
    public static ImmutableArray<string> NotCached(GeneratorDriverRunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        GeneratorRunResult run = result.Results.Single();
        var problems = new List<string>();
        foreach ((string name, ImmutableArray<IncrementalGeneratorRunStep> steps) in Tracked(result).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            for (int s = 0; s < steps.Length; s++)
            {
                for (int o = 0; o < steps[s].Outputs.Length; o++)
                {
                    IncrementalStepRunReason reason = steps[s].Outputs[o].Reason;
                    if (reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged))
                    {
                        problems.Add($"{name}[{s}].output[{o}]: {reason} ({Describe(steps[s].Outputs[o].Value)})");
                    }
                }
            }
        }

        foreach ((string name, ImmutableArray<IncrementalGeneratorRunStep> steps) in run.TrackedOutputSteps)
        {
            foreach ((object value, IncrementalStepRunReason reason) in steps.SelectMany(step => step.Outputs))
            {
                if (reason != IncrementalStepRunReason.Cached)
                {
                    problems.Add($"{name} (source output): {reason} ({Describe(value)})");
                }
            }
        }

        return [.. problems];
    }

    /// <summary>
    /// Lines <c>step: path: type</c> for every object of a <see cref="BannedTypes"/> type reachable
    /// (through fields, array elements, boxed structs) from any output or input value of the tracked steps.
    /// </summary>
    /// <param name="result">A run result.</param>
    /// <returns>The offending paths; empty when the outputs are plain data.</returns>
    public static ImmutableArray<string> BannedObjects(GeneratorDriverRunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var problems = new List<string>();
        foreach ((string name, ImmutableArray<IncrementalGeneratorRunStep> steps) in Tracked(result).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            for (int s = 0; s < steps.Length; s++)
            {
                for (int o = 0; o < steps[s].Outputs.Length; o++)
                {
                    problems.AddRange(FindBanned(steps[s].Outputs[o].Value, $"{name}[{s}].output[{o}]"));
                }
            }
        }

        return [.. problems];
    }

    /// <summary>
    /// Lines for every tracked step whose outputs differ (by <see cref="object.Equals(object)"/>)
    /// between two runs on equivalent compilations: such a step cannot be cached.
    /// </summary>
    /// <param name="first">The first run.</param>
    /// <param name="second">The second run.</param>
    /// <returns>The differences; empty when every output compares equal.</returns>
    public static ImmutableArray<string> UnequalOutputs(GeneratorDriverRunResult first, GeneratorDriverRunResult second)
    {
        ImmutableDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> a = Tracked(first);
        ImmutableDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> b = Tracked(second);
        var problems = new List<string>();
        foreach (string name in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            object[] left = a.TryGetValue(name, out var x) ? [.. x.SelectMany(step => step.Outputs).Select(output => output.Value)] : [];
            object[] right = b.TryGetValue(name, out var y) ? [.. y.SelectMany(step => step.Outputs).Select(output => output.Value)] : [];
            if (left.Length != right.Length)
            {
                problems.Add($"{name}: {left.Length} output(s) in the first run, {right.Length} in the second");
                continue;
            }

            for (int i = 0; i < left.Length; i++)
            {
                if (!Equals(left[i], right[i]))
                {
                    problems.Add($"{name}.output[{i}] is not equal across runs: {Describe(left[i])} vs {Describe(right[i])} (does it compare by value? arrays and lists need an equatable wrapper)");
                }
            }
        }

        return [.. problems];
    }

    /// <summary>Paths (from <paramref name="path"/>) to every <see cref="BannedTypes"/> object reachable from <paramref name="value"/>.</summary>
    /// <param name="value">The root object.</param>
    /// <param name="path">Name of the root in the returned paths.</param>
    /// <returns><c>path.field[index]...: type is a BannedType</c> lines.</returns>
    public static ImmutableArray<string> FindBanned(object? value, string path)
    {
        var walker = new ObjectGraphWalker(BannedTypes);
        walker.Visit(value, path);
        return [.. walker.Problems];
    }

    private static string Describe(object? value)
    {
        string text = value?.ToString() ?? "null";
        return text.Length <= 160 ? text : text[..157] + "...";
    }

    /// <summary>Walks an object graph by reflection over instance fields, remembering where banned types are.</summary>
    private sealed class ObjectGraphWalker(ImmutableArray<Type> banned)
    {
        private const int MaxObjects = 200_000;

        private readonly HashSet<object> visited = new(ReferenceEqualityComparer.Instance);

        public List<string> Problems { get; } = [];

        public void Visit(object? node, string path)
        {
            if (node is null || visited.Count > MaxObjects)
            {
                return;
            }

            Type type = node.GetType();
            if (type.IsPrimitive || type.IsEnum || node is string or decimal or DateTime or DateTimeOffset or TimeSpan or Guid)
            {
                return;
            }

            if (!type.IsValueType && !visited.Add(node))
            {
                return;
            }

            foreach (Type bannedType in banned)
            {
                if (bannedType.IsInstanceOfType(node))
                {
                    Problems.Add($"{path}: {type.FullName} is a {bannedType.Name}");
                    return;
                }
            }

            if (node is Type or MemberInfo or Delegate or Pointer)
            {
                return;
            }

            if (node is Array array)
            {
                Type? element = type.GetElementType();
                if (element is not null && (element.IsPrimitive || element.IsEnum || element == typeof(string)))
                {
                    return;
                }

                int index = 0;
                foreach (object? item in array)
                {
                    Visit(item, $"{path}[{index++}]");
                }

                return;
            }

            for (Type? current = type; current is not null && current != typeof(object); current = current.BaseType)
            {
                foreach (FieldInfo field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsPointer || field.FieldType.IsByRefLike)
                    {
                        continue;
                    }

                    Visit(field.GetValue(node), path + "." + field.Name);
                }
            }
        }
    }
}
