using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>
/// <c>--json</c> as a script uses it (<c>program --json | jq .</c>): the whole standard output is one JSON object,
/// nothing before or after it, whether the run succeeded or failed; durations are numbers of seconds.
/// </summary>
public sealed class JsonOutputTests
{
    [Fact]
    public async Task With_json_each_program_prints_one_object_and_nothing_else_on_standard_output()
    {
        using var dir = new TempDirectory();
        var (server, endpoint) = await ProgramProcess.StartServerAsync(
            "--listen", "127.0.0.1:0", "--output", dir.File("t.txt"), "--status-interval", "100ms", "--json");
        using var _ = server;

        using var client = await ProgramProcess.RunAsync(ProgramProcess.Client,
            "--server", endpoint, "-n", "5", "--duration", "1s", "--status-interval", "100ms", "--json");
        server.Terminate();
        await server.WaitForExitAsync(Within.Short);

        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.True(server.ExitCode == 0, server.Stdout + server.Stderr);
        using var clientJson = ParseWhole(client.Stdout);
        using var serverJson = ParseWhole(server.Stdout);
        var c = clientJson.RootElement;
        var s = serverJson.RootElement;

        // The human lines are still there, on standard error: the banner, the status lines, listening and stopping.
        Assert.Contains("horodate-client: 5 connections to", client.Stderr);
        Assert.Contains("| sent ", client.Stderr);
        Assert.Contains("listening on 127.0.0.1:", server.Stderr);
        Assert.Contains("| in ", server.Stderr);
        Assert.Contains("stopping: writing everything received", server.Stderr);

        // Durations are seconds, as numbers: the client sent for its 1 s duration, the server lived longer.
        var elapsed = Seconds(c, "elapsed_s");
        Assert.InRange(elapsed, 0.9, 10);
        Assert.InRange(Seconds(c, "ramp_s"), 0, 10);
        Assert.InRange(Seconds(s, "uptime_s"), elapsed, 60);
        Assert.False(c.TryGetProperty("elapsed", out var _), "no TimeSpan string beside the seconds");

        // The objects carry the run's counts, and the two programs agree on them; a success has no error.
        var sent = c.GetProperty("sent").GetInt64();
        Assert.True(sent > 0);
        Assert.Equal(sent, c.GetProperty("acked").GetInt64());
        Assert.Equal(sent, s.GetProperty("received").GetInt64());
        Assert.Equal(5, s.GetProperty("connections_accepted").GetInt64());
        Assert.False(c.TryGetProperty("error", out var _));
        Assert.False(s.TryGetProperty("error", out var _));
    }

    [Theory]
    [InlineData("Epoll")]
    [InlineData("Kestrel")]
    public async Task A_server_that_cannot_bind_its_port_prints_a_json_error_and_exits_1(string transport)
    {
        using var dir = new TempDirectory();
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        using var server = await ProgramProcess.RunAsync(ProgramProcess.Server,
            "--listen", $"127.0.0.1:{port}", "--output", dir.File("t.txt"), "--transport", transport, "--json");

        Assert.True(server.ExitCode == 1, server.Stdout + server.Stderr);
        var error = Error(server.Stdout);
        Assert.StartsWith("cannot start: ", error, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error);
        Assert.Contains(error, server.Stderr); // the same words for a person reading the terminal
    }

    [Theory]
    [InlineData("Epoll")]
    [InlineData("Kestrel")]
    public async Task A_second_server_on_the_port_of_a_running_one_cannot_start_and_prints_a_json_error(string transport)
    {
        using var dir = new TempDirectory();
        var (first, endpoint) = await ProgramProcess.StartServerAsync("--listen", "127.0.0.1:0", "--output", dir.File("first.txt"));
        using var _ = first;

        using var second = await ProgramProcess.RunAsync(ProgramProcess.Server,
            "--listen", endpoint, "--output", dir.File("second.txt"), "--transport", transport, "--json");

        Assert.True(second.ExitCode == 1, second.Stdout + second.Stderr);
        Assert.Contains(endpoint, Error(second.Stdout));
    }

    [Fact]
    public async Task A_server_refusing_a_foreign_output_file_prints_a_json_error_and_exits_1()
    {
        using var dir = new TempDirectory();
        var foreign = dir.File("notes.txt");
        await File.WriteAllTextAsync(foreign, "dear diary\n", TestContext.Current.CancellationToken);

        using var server = await ProgramProcess.RunAsync(ProgramProcess.Server, "--listen", "127.0.0.1:0", "--output", foreign, "--json");

        Assert.True(server.ExitCode == 1, server.Stdout + server.Stderr);
        Assert.Contains("refusing to append to a file that is not a Horodate output", Error(server.Stdout));
        Assert.Equal("dear diary\n", await File.ReadAllTextAsync(foreign, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_client_that_cannot_connect_prints_its_summary_with_an_error_and_exits_1()
    {
        using var nobody = new RefusingPort();

        // The client keeps retrying through its connect ramp (10 s); once it has said it cannot connect, stop it.
        using var client = ProgramProcess.Start(ProgramProcess.Client, "--server", nobody.Endpoint, "-n", "2", "--duration", "1s", "--json");
        await client.WaitForLineAsync(l => l.Contains("Cannot connect to 127.0.0.1", StringComparison.Ordinal), Within.Short);
        client.Terminate();
        await client.WaitForExitAsync(Within.Short);

        Assert.True(client.ExitCode == 1, client.Stdout + client.Stderr);
        using var json = ParseWhole(client.Stdout);
        var error = json.RootElement.GetProperty("error").GetString();
        Assert.Contains($"cannot connect to {nobody.Endpoint}", error);
        Assert.Equal(0, json.RootElement.GetProperty("sent").GetInt64());
        Assert.True(json.RootElement.GetProperty("connect_failures").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("ramp_s").ValueKind);
    }

    [Theory]
    [InlineData("horodate-server", "--bogus")]
    [InlineData("horodate-server", "--tls-key", "key.pem")]
    [InlineData("horodate-client", "--connections", "0")]
    [InlineData("horodate-client", "--server", "127.0.0.1:0")]
    public async Task A_usage_error_with_json_is_a_json_error_too_and_exits_2(string program, params string[] args)
    {
        using var run = await ProgramProcess.RunAsync(Path.Combine(AppContext.BaseDirectory, program), [.. args, "--json"]);

        Assert.Equal(2, run.ExitCode);
        var error = Error(run.Stdout);
        Assert.Contains(args[0], error);
        Assert.Contains($"{program}: {error}", run.Stderr);
        Assert.Contains($"Try '{program} --help'", run.Stderr);
    }

    /// <summary>Parses the whole of <paramref name="stdout"/> as one JSON object: any other text fails the parse.</summary>
    private static JsonDocument ParseWhole(string stdout)
    {
        var document = JsonDocument.Parse(stdout);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        return document;
    }

    /// <summary>The <c>error</c> of a failed run's object, which must be the whole standard output.</summary>
    private static string Error(string stdout)
    {
        using var json = ParseWhole(stdout);
        var error = json.RootElement.GetProperty("error").GetString();
        Assert.NotNull(error);
        Assert.NotEmpty(error.Trim());
        return error;
    }

    private static double Seconds(JsonElement summary, string name)
    {
        var value = summary.GetProperty(name);
        Assert.Equal(JsonValueKind.Number, value.ValueKind);
        return value.GetDouble();
    }
}
