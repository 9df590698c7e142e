using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>
/// Thousands of connections opened at once (a ramp) make nothing late. A connection can wait a while between the
/// moment its client's <c>connect()</c> returns and the moment the server opens its source (the handshake's last
/// packet queued in the kernel, then the listener's accept queue); an acknowledged client stamps its first value
/// only once the server answered its hello, after the source opened, so that value is never below what the other
/// connections already let the server write. (A plain client sends at once: at such a ramp its first values can
/// be late, counted and kept in <c>.late</c>; see the README's Guarantees.)
/// </summary>
public sealed class RampTests
{
    [Theory]
    [InlineData("Epoll")]
    [InlineData("Kestrel")]
    public async Task Two_thousand_acknowledged_connections_opened_at_once_leave_nothing_late_and_every_acknowledged_value_in_the_file(string transport)
    {
        using var dir = new TempDirectory();
        var (output, server) = await RunRampAsync(dir, transport, "--record-acked", dir.File("acked.txt"));

        var stored = File.ReadLines(output).Select(long.Parse).ToHashSet();
        var acknowledged = File.ReadLines(dir.File("acked.txt")).Select(long.Parse).ToList();
        Assert.NotEmpty(acknowledged);
        Assert.All(acknowledged, v => Assert.Contains(v, stored));
    }

    /// <summary>Runs 2,000 connections for 3 s against a server process, stops it, asserts nothing is late.</summary>
    private static async Task<(string Output, ProgramProcess Server)> RunRampAsync(TempDirectory dir, string transport, params string[] clientArgs)
    {
        var output = dir.File("out.txt");
        var (server, endpoint) = await ProgramProcess.StartServerAsync(
            "--listen", "127.0.0.1:0", "--output", output, "--transport", transport, "--quiet");
        using var _ = server;

        using var client = ProgramProcess.Start(ProgramProcess.Client,
            ["--server", endpoint, "-n", "2000", "--duration", "3s", "--quiet", .. clientArgs]);
        await client.WaitForExitAsync(Within.Long);
        server.Terminate();
        await server.WaitForExitAsync(Within.Short);

        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.True(server.ExitCode == 0, server.Stdout + server.Stderr);
        var late = File.Exists(output + ".late") ? File.ReadAllLines(output + ".late") : [];
        var written = File.ReadLines(output).Select(long.Parse).ToList();
        Assert.True(late.Length == 0, $"{late.Length} late values, e.g. {string.Join(' ', late.Take(5))}; the file holds {written[0]} to {written[^1]}\n{server.Stdout}\n{server.Stderr}");
        return (output, server);
    }
}
