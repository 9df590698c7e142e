using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>
/// Thousands of connections opened at once (a ramp) make nothing late. The server's accept queue can hold a
/// connection for a while before the server opens its source; an acknowledged client stamps its first value
/// only once the server answered its hello, so that value is never below what the other connections already
/// let the server write.
/// </summary>
public sealed class RampTests
{
    [Theory]
    [InlineData("Epoll")]
    [InlineData("Kestrel")]
    public async Task Two_thousand_acknowledged_connections_opened_at_once_leave_nothing_late_and_every_acknowledged_value_in_the_file(string transport)
    {
        using var dir = new TempDirectory();
        var output = dir.File("out.txt");
        var acked = dir.File("acked.txt");
        var (server, endpoint) = await ProgramProcess.StartServerAsync(
            "--listen", "127.0.0.1:0", "--output", output, "--transport", transport, "--quiet");
        using var _ = server;

        using var client = ProgramProcess.Start(ProgramProcess.Client,
            "--server", endpoint, "-n", "2000", "--duration", "3s", "--record-acked", acked, "--quiet");
        await client.WaitForExitAsync(Within.Long);
        server.Terminate();
        await server.WaitForExitAsync(Within.Short);

        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.True(server.ExitCode == 0, server.Stdout + server.Stderr);
        var late = File.Exists(output + ".late") ? File.ReadAllLines(output + ".late") : [];
        Assert.True(late.Length == 0, $"{late.Length} late values, e.g. {string.Join(' ', late.Take(5))}\n{server.Stderr}");
        var stored = File.ReadLines(output).Select(long.Parse).ToHashSet();
        var acknowledged = File.ReadLines(acked).Select(long.Parse).ToList();
        Assert.NotEmpty(acknowledged);
        Assert.All(acknowledged, v => Assert.Contains(v, stored));
    }
}
