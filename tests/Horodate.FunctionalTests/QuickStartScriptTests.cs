using System.Diagnostics;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>
/// The README's Quick start on a fresh clone: <c>scripts/demo.sh</c> (and <c>cluster-demo.sh</c>) build the programs
/// that are missing before running them. The suite always runs on built programs, so that path is taken here with a
/// <c>dotnet</c> on the PATH that only records what it is asked to build.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the scripts are bash
public sealed class QuickStartScriptTests
{
    [Fact]
    public async Task The_demos_build_each_missing_program_from_its_project_and_go_on()
    {
        using var dir = new TempDirectory();
        var calls = dir.File("dotnet-calls.txt");
        var fake = dir.File("dotnet");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\necho \"$*\" >> \"$HORODATE_TEST_CALLS\"\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Under the scripts' own `set -euo pipefail`: a failing step in the lookup of a project stops them at once,
        // silently (a fresh clone's first `scripts/demo.sh` once ended so, with exit code 2 after "== building").
        var missing = Path.Combine(dir.Path, "artifacts", "bin");
        var script = $"""
            set -euo pipefail
            . scripts/lib/common.sh
            need_programs {missing}/Horodate.Server/release/horodate-server {missing}/Horodate.Client/release/horodate-client {missing}/Horodate.Checker/release/horodate-checker
            echo "went on"
            """;
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PATH"] = dir.Path + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["HORODATE_TEST_CALLS"] = calls;
        using var bash = Process.Start(start)!;
        var stdout = bash.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = bash.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await bash.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        Assert.True(bash.ExitCode == 0, $"exit code {bash.ExitCode}\n{await stdout}\n{await stderr}");
        Assert.Contains("went on", await stdout, StringComparison.Ordinal);
        Assert.Equal(
            ["build src/Horodate.Server -c Release -v quiet -nologo", "build src/Horodate.Client -c Release -v quiet -nologo", "build tools/Horodate.Checker -c Release -v quiet -nologo"],
            await File.ReadAllLinesAsync(calls, TestContext.Current.CancellationToken));
    }

    /// <summary>The checkout the tests were built from: the first folder above them with the solution file.</summary>
    private static string RepositoryRoot()
    {
        for (var at = new DirectoryInfo(AppContext.BaseDirectory); at is not null; at = at.Parent)
        {
            if (File.Exists(Path.Combine(at.FullName, "Horodate.slnx")))
            {
                return at.FullName;
            }
        }

        throw new InvalidOperationException($"no Horodate.slnx above {AppContext.BaseDirectory}");
    }
}
