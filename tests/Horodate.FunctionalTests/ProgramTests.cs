using System.Net;
using System.Net.Sockets;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;

namespace Horodate.FunctionalTests;

/// <summary>The two executables as a user runs them: real processes, real signals, real exit codes.</summary>
public sealed class ProgramTests
{
    [Fact]
    public async Task The_whole_job_runs_with_the_two_programs_and_verify_passes()
    {
        using var dir = new TempDirectory();
        var output = dir.File("timestamps.txt");
        var record = dir.File("sent.txt");
        var (server, endpoint) = await ProgramProcess.StartServerAsync("--listen", "127.0.0.1:0", "--output", output);
        using var _ = server;

        using var client = await ProgramProcess.RunAsync(ProgramProcess.Client,
            "--server", endpoint, "-n", "50", "--duration", "2s", "--aligned", "--record", record);
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.Contains($" values in {record}", client.Stdout); // the summary names the record

        server.Terminate();
        await server.WaitForExitAsync(Within.Short);
        Assert.True(server.ExitCode == 0, server.Stdout + server.Stderr);
        Assert.Contains("stopped after", server.Stdout);

        using var verify = await ProgramProcess.RunAsync(ProgramProcess.Server, "verify", output, "--unique", "--expect", record);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        var report = TimestampVerifier.Verify(output, unique: true, record);
        Assert.True(report.Expected > 0, "an empty record passes any file"); // what verify compared was a real run
    }

    [Fact]
    public async Task Sigterm_writes_everything_already_received_and_exits_zero()
    {
        using var dir = new TempDirectory();
        var output = dir.File("timestamps.txt");
        var (server, endpoint) = await ProgramProcess.StartServerAsync("--listen", "127.0.0.1:0", "--output", output, "--idle-timeout", "1h", "--json");
        using var _ = server;
        var t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // The connection stays open: its source holds the watermark, so nothing is written before the stop.
        await using var peer = await RawPeer.ConnectAsync(System.Net.IPEndPoint.Parse(endpoint));
        await peer.SendAsync(string.Concat(Enumerable.Range(0, 1_000).Select(i => $"{t + (i / 10)}\n")));
        server.Terminate();
        await server.WaitForExitAsync(Within.Short);

        Assert.True(server.ExitCode == 0, server.Stdout + server.Stderr);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"{t + i}"), File.ReadAllLines(output));
        Assert.Equal(1_000, server.ReadJson(ServerJsonContext.Default.ServerSummary).Received);
    }

    [Theory]
    [InlineData("timestamps.txt", "abc", "timestamps.txt: line 1 is \"abc\" (with no newline), not a timestamp")]
    [InlineData("timestamps.txt", "hello\nworld", "timestamps.txt: line 1 is \"hello\", not a timestamp")]
    [InlineData("timestamps.txt.late", "notes", "timestamps.txt.late: line 1 is \"notes\" (with no newline), not a timestamp")]
    public async Task A_foreign_output_or_late_file_is_refused_with_exit_code_1_and_left_exactly_as_it_was(string name, string content, string found)
    {
        using var dir = new TempDirectory();
        var output = dir.File("timestamps.txt");
        var foreign = dir.File(name);
        await File.WriteAllTextAsync(foreign, content, TestContext.Current.CancellationToken);
        var modified = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(foreign, modified);

        // Both modes (dedupe is the default): keep-duplicates opens .late at start, dedupe reads it back to remember its values.
        foreach (var mode in new[] { "", "--keep-duplicates" })
        {
            string[] args = ["--listen", "127.0.0.1:0", "--output", output, .. mode.Length > 0 ? [mode] : Array.Empty<string>()];
            using var run = ProgramProcess.Start(ProgramProcess.Server, args);
            var exited = await run.WaitForExitAsync(Within.Short).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);

            Assert.True(exited, $"{mode}: the server started on the foreign file");
            Assert.True(run.ExitCode == 1, $"{mode}: exit code {run.ExitCode}\n{run.Stdout}{run.Stderr}");
            Assert.Contains(found + "; refusing to append to a file that is not a Horodate output", run.Stderr);
            Assert.Equal(content, await File.ReadAllTextAsync(foreign, TestContext.Current.CancellationToken));
            Assert.Equal(modified, File.GetLastWriteTimeUtc(foreign));
        }
    }

    [Fact]
    public async Task A_foreign_client_journal_is_refused_with_exit_code_1_not_overwritten()
    {
        using var dir = new TempDirectory();
        var output = dir.File("timestamps.txt");
        var journal = output + ".clients";
        await File.WriteAllTextAsync(journal, "client list\nalice\n", TestContext.Current.CancellationToken);

        using var run = ProgramProcess.Start(ProgramProcess.Server, "--listen", "127.0.0.1:0", "--output", output, "--keep-duplicates");
        var exited = await run.WaitForExitAsync(Within.Short).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);

        Assert.True(exited, "the server started and overwrote the foreign journal");
        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode}\n{run.Stdout}{run.Stderr}");
        Assert.Contains("timestamps.txt.clients: line 1 is \"client list\", not a journal record; refusing to overwrite", run.Stderr);
        Assert.Equal("client list\nalice\n", await File.ReadAllTextAsync(journal, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--idle-timeout", "5")]
    [InlineData("--flush-interval", "0ms")]
    [InlineData("--listen", "somewhere")]
    [InlineData("--listen", "::1:7890")]
    [InlineData("--max-connections", "many")]
    [InlineData("--transport", "uring")]
    [InlineData("--log-level", "loud")]
    public async Task Bad_server_flags_get_a_clear_message_and_exit_code_2(params string[] args)
    {
        using var run = await ProgramProcess.RunAsync(ProgramProcess.Server, args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Try 'horodate-server --help'", run.Stderr);
        Assert.DoesNotContain("Unhandled exception", run.Stderr);
        Assert.DoesNotContain("expected type", run.Stderr); // the user is told the choices, not a .NET type name
        Assert.Empty(run.Stdout);
    }

    [Theory]
    [InlineData("edge", "--edge-id", "e1")]
    [InlineData("root", "--nats", "nats://127.0.0.1:4222", "--rebuild", "yes")]
    [InlineData("verify")]
    public async Task A_subcommand_s_bad_flags_point_to_that_subcommand_s_help(params string[] args)
    {
        using var run = await ProgramProcess.RunAsync(ProgramProcess.Server, args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"Try 'horodate-server {args[0]} --help'.", run.Stderr);
    }

    [Theory]
    [InlineData("root", "--listen", "root: a free port on 127.0.0.1")]
    [InlineData("root", "--idle-timeout", "root: its --max-delay")]
    [InlineData("edge", "--flush-interval", "edge: 50ms")]
    public async Task A_subcommand_s_help_gives_the_defaults_it_runs_with_where_they_differ_from_a_single_server_s(string command, string option, string says)
    {
        using var help = await ProgramProcess.RunAsync(ProgramProcess.Server, command, "--help");

        Assert.Equal(0, help.ExitCode);
        var line = Assert.Single(help.Stdout.Split('\n'), l => l.Contains($"{option} <", StringComparison.Ordinal));
        Assert.Contains(says, line);
    }

    [Theory]
    [InlineData("-n", "0")]
    [InlineData("--interval", "fast")]
    [InlineData("--server", "localhost")]
    [InlineData("--duration")]
    [InlineData("-n", "fifty")]
    [InlineData("--threads", "2.5")]
    [InlineData("--tls-insecure", "--duration", "1s")]
    [InlineData("--no-ack", "--record-acked", "acked.txt", "--duration", "1s")]
    public async Task Bad_client_flags_get_a_clear_message_and_exit_code_2(params string[] args)
    {
        using var run = await ProgramProcess.RunAsync(ProgramProcess.Client, args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Try 'horodate-client --help'", run.Stderr);
        Assert.DoesNotContain("Unhandled exception", run.Stderr);
    }

    [Fact]
    public async Task Help_shows_examples()
    {
        using var server = await ProgramProcess.RunAsync(ProgramProcess.Server, "--help");
        using var client = await ProgramProcess.RunAsync(ProgramProcess.Client, "--help");

        Assert.Equal(0, server.ExitCode);
        Assert.Equal(0, client.ExitCode);
        Assert.Contains("Examples:", server.Stdout);
        Assert.Contains("--keep-duplicates", server.Stdout);
        Assert.Contains("Examples:", client.Stdout);
        Assert.Contains("--aligned", client.Stdout);
    }

    [Fact]
    public async Task Verify_fails_with_exit_code_1_on_an_unsorted_file_and_2_on_a_missing_one()
    {
        using var dir = new TempDirectory();
        var unsorted = dir.File("unsorted.txt");
        await File.WriteAllTextAsync(unsorted, "3\n1\n2\n", TestContext.Current.CancellationToken);

        using var bad = await ProgramProcess.RunAsync(ProgramProcess.Server, "verify", unsorted);
        using var missing = await ProgramProcess.RunAsync(ProgramProcess.Server, "verify", dir.File("nope.txt"));

        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("sorted       NO (1 inversions; first at line 2: 1 after 3)", bad.Stdout); // the user is told why
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such file", missing.Stderr);
    }

    [Theory]
    [InlineData("--transport", "Epoll")]
    [InlineData("--transport", "Kestrel")]
    [InlineData("--http", null)]
    public async Task A_port_in_use_is_one_line_and_exit_code_1_not_a_stack_trace(string flag, string? value)
    {
        var taken = new TcpListener(IPAddress.Loopback, 0); // listening: the port is in use as another server's would be
        taken.Start();
        using var dir = new TempDirectory();
        var endpoint = $"127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        string[] args = value is null
            ? ["--listen", "127.0.0.1:0", flag, endpoint, "--output", dir.File("ts.txt")]
            : ["--listen", endpoint, flag, value, "--output", dir.File("ts.txt")];

        using var run = await ProgramProcess.RunAsync(ProgramProcess.Server, args);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cannot start:", run.Stderr);
        Assert.Contains("in use", run.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", run.Stderr); // no stack trace, from the program or from the host it embeds
        taken.Stop();
    }

    [Fact]
    public async Task An_output_path_that_is_a_directory_is_named_as_such_with_exit_code_1()
    {
        using var dir = new TempDirectory();

        using var run = await ProgramProcess.RunAsync(ProgramProcess.Server, "--listen", "127.0.0.1:0", "--output", dir.Path);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"cannot start: {dir.Path} is a directory", run.Stderr);
    }

    [Theory]
    [InlineData("edge", "--edge-id", "e1")]
    [InlineData("root")]
    public async Task A_tree_role_that_cannot_reach_nats_cannot_start_exit_code_1_not_a_usage_error(string role, params string[] more)
    {
        using var nobody = new RefusingPort();
        using var dir = new TempDirectory();

        using var run = await ProgramProcess.RunAsync(ProgramProcess.Server,
            [role, "--nats", $"nats://{nobody.Endpoint}", "--listen", "127.0.0.1:0", "--output", dir.File("ts.txt"), "--json", .. more]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"cannot start: cannot reach NATS JetStream at nats://{nobody.Endpoint}", run.Stderr);
        Assert.DoesNotContain("--help", run.Stderr); // nothing was wrong with the command line
        Assert.StartsWith("{\"error\":\"cannot start: cannot reach NATS", run.Stdout.Trim());
    }

    [Fact]
    public async Task Verify_with_a_plot_path_it_cannot_write_says_so_with_exit_code_2()
    {
        using var dir = new TempDirectory();
        var file = dir.File("ts.txt");
        await File.WriteAllTextAsync(file, "1\n2\n3\n", TestContext.Current.CancellationToken);

        using var run = await ProgramProcess.RunAsync(ProgramProcess.Server, "verify", file, "--plot", dir.File("missing/plot.svg"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--plot: cannot write", run.Stderr);
        Assert.DoesNotContain("Unhandled exception", run.Stderr);
    }

    [Fact]
    public async Task A_client_without_a_server_says_so_and_keeps_trying_until_its_duration_ends()
    {
        using var nobody = new RefusingPort();

        using var client = await ProgramProcess.RunAsync(ProgramProcess.Client, "--server", nobody.Endpoint, "-n", "3", "--duration", "1s");

        Assert.Equal(1, client.ExitCode); // nothing could be sent
        Assert.Contains("Cannot connect to 127.0.0.1", client.Stderr);
        Assert.Contains("connection refused", client.Stderr);
        Assert.DoesNotContain(" 0 more failures not shown", client.Stderr); // the first failure: nothing held back yet
        Assert.Contains("(none)", client.Stdout); // no server ever answered or ignored a hello: not "plain"
    }
}
