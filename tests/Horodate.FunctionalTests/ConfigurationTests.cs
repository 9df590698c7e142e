using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>Options from the command line, the environment and a JSON file, in that order of precedence.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public async Task Options_come_from_flags_then_the_environment_then_the_config_file()
    {
        using var dir = new TempDirectory();
        var config = dir.File("horodate.json");
        var fromFile = dir.File("from-file.txt");
        await File.WriteAllTextAsync(config, "{ \"output\": \"" + fromFile + "\", \"listen\": [\"127.0.0.1:0\"], \"keep-duplicates\": true }", TestContext.Current.CancellationToken);
        var fromEnvironment = new Dictionary<string, string> { ["HORODATE_OUTPUT"] = dir.File("from-env.txt") };

        Assert.Contains("from-file.txt (every value, duplicates kept)", await ListeningLineAsync(new Dictionary<string, string>(), "--config", config));
        Assert.Contains("from-env.txt", await ListeningLineAsync(fromEnvironment, "--config", config));
        Assert.Contains("from-flag.txt", await ListeningLineAsync(fromEnvironment, "--config", config, "--output", dir.File("from-flag.txt")));
    }

    [Fact]
    public async Task A_bad_value_from_the_environment_is_refused_like_a_bad_flag()
    {
        using var run = ProgramProcess.Start(ProgramProcess.Server, new Dictionary<string, string> { ["HORODATE_IDLE_TIMEOUT"] = "soon" }, "--listen", "127.0.0.1:0");
        await run.WaitForExitAsync(Within.Short);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--idle-timeout: 'soon' is not a duration", run.Stderr);
    }

    [Fact]
    public async Task A_missing_or_broken_config_file_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        var broken = dir.File("broken.json");
        await File.WriteAllTextAsync(broken, "{ not json", TestContext.Current.CancellationToken);

        using var missing = await ProgramProcess.RunAsync(ProgramProcess.Server, "--config", dir.File("none.json"));
        using var bad = await ProgramProcess.RunAsync(ProgramProcess.Server, "--config", broken);

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such file", missing.Stderr);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--config", bad.Stderr);
    }

    [Fact]
    public async Task A_config_file_key_that_names_no_option_is_refused_not_ignored()
    {
        using var dir = new TempDirectory();
        var config = dir.File("typo.json");
        await File.WriteAllTextAsync(config, "{ \"listen\": [\"127.0.0.1:0\"], \"idle-timout\": \"2s\" }", TestContext.Current.CancellationToken);

        using var server = await ProgramProcess.RunAsync(ProgramProcess.Server, "--config", config, "--output", dir.File("ts.txt"));
        using var client = await ProgramProcess.RunAsync(ProgramProcess.Client, "--config", config, "--duration", "1s");

        Assert.Equal(2, server.ExitCode);
        Assert.Contains("--config: 'idle-timout' in", server.Stderr);
        Assert.Equal(2, client.ExitCode); // neither key is the client's
        Assert.Contains("is not an option of horodate-client", client.Stderr);
    }

    [Fact]
    public async Task The_edge_and_root_subcommands_take_their_options_from_the_environment_and_the_config_file_too()
    {
        using var dir = new TempDirectory();
        var config = dir.File("root.json");
        await File.WriteAllTextAsync(config, "{ \"nats\": \"nats://127.0.0.1:1\", \"stream-max-age\": \"forever\" }", TestContext.Current.CancellationToken);
        var environment = new Dictionary<string, string> { ["HORODATE_EDGE_ID"] = "e1", ["HORODATE_STREAM_MAX_AGE"] = "soon" };

        // Each run stops at the bad duration, before any NATS connection: proof that the layer was read (and --nats and
        // --edge-id, required, were found there rather than reported missing).
        using var edge = ProgramProcess.Start(ProgramProcess.Server, environment, "edge", "--nats", "nats://127.0.0.1:1", "--listen", "127.0.0.1:0");
        await edge.WaitForExitAsync(Within.Short);
        using var root = await ProgramProcess.RunAsync(ProgramProcess.Server, "root", "--config", config, "--output", dir.File("ts.txt"));

        Assert.Equal(2, edge.ExitCode);
        Assert.Contains("--stream-max-age: 'soon' is not a duration", edge.Stderr);
        Assert.Equal(2, root.ExitCode);
        Assert.Contains("--stream-max-age: 'forever' is not a duration", root.Stderr);
        Assert.DoesNotContain("is required", root.Stderr);
    }

    private static async Task<string> ListeningLineAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var server = ProgramProcess.Start(ProgramProcess.Server, environment, args);
        var line = await server.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal), Within.Start);
        server.Terminate();
        await server.WaitForExitAsync(Within.Short);
        return line;
    }
}
