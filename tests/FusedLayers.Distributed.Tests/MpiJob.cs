using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace FusedLayers.Distributed.Tests;

/// <summary>The outcome of one <c>mpiexec</c> run of the test host.</summary>
/// <param name="ExitCode">mpiexec's exit code.</param>
/// <param name="Output">Standard output of every rank.</param>
/// <param name="Error">Standard error of every rank.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record MpiResult(int ExitCode, string Output, string Error, TimeSpan Elapsed)
{
    /// <summary>Everything printed, for assertion messages.</summary>
    public string All => $"exit code {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the test host under <c>mpiexec.mpich -n N</c>. When MPICH is missing the test fails with the reason and the
/// install command; nothing is skipped.
/// </summary>
public static class MpiJob
{
    private const string Launcher = "mpiexec.mpich";

    /// <summary>Runs the host with <paramref name="args"/> on <paramref name="ranks"/> processes, killing the job after <paramref name="timeout"/>.</summary>
    /// <param name="ranks">N.</param>
    /// <param name="timeout">Upper bound; a job still running is killed and the test fails.</param>
    /// <param name="args">Host arguments.</param>
    /// <returns>What happened.</returns>
    public static MpiResult Run(int ranks, TimeSpan timeout, params string[] args)
    {
        string launcher = FindLauncher();
        string host = Path.Combine(AppContext.BaseDirectory, "FusedLayers.Distributed.TestHost.dll");
        if (!File.Exists(host))
        {
            throw new InvalidOperationException($"The MPI test host was not built next to the tests: {host} is missing.");
        }

        var start = new ProcessStartInfo(launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-n", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet", host }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        var output = new StringBuilder();
        var error = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (error) { error.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"mpiexec -n {ranks} {string.Join(' ', args)} was still running after {timeout.TotalSeconds} s (killed).\n{output}\n{error}");
        }

        process.WaitForExit(); // flush the asynchronous readers
        return new MpiResult(process.ExitCode, output.ToString(), error.ToString(), clock.Elapsed);
    }

    private static string FindLauncher()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, Launcher);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"MPI cannot start: {Launcher} is not on PATH. Install MPICH with `apt-get install -y mpich libmpich-dev` " +
            "(.ci/run does this); the MPI tests do not skip without it.");
    }
}
