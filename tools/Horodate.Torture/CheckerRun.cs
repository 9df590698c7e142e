namespace Horodate.Torture;

/// <summary><c>horodate-checker</c> run over a schedule's files: its verdict as the list of violations it names.</summary>
internal static class CheckerRun
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs the checker with <paramref name="args"/>, its output in <c>dir/checker.log</c>; empty when it says OK.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(string checker, IEnumerable<string> args, string dir, CancellationToken stop)
    {
        var log = Path.Combine(dir, "checker.log");
        using var process = ChildProcess.Start(checker, args, log);
        if (!await process.WaitForExitAsync(Timeout).ConfigureAwait(false))
        {
            return [$"the checker did not finish within {Timeout.TotalMinutes:0} minutes"];
        }

        stop.ThrowIfCancellationRequested();
        var lines = File.ReadAllLines(log).Skip(2).ToList(); // the command line, the figures
        return process.ExitCode switch
        {
            0 => [],
            1 => [.. lines.Where(l => l.Contains(" — ", StringComparison.Ordinal))],
            _ => [$"the checker could not check (exit code {process.ExitCode}): {string.Join(" | ", lines)}"],
        };
    }
}
