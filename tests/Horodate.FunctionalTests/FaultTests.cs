using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Horodate.Client.Status;
using Horodate.Core.Storage;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>Faults injected into real processes: the server killed and restarted, a client killed.</summary>
public sealed class FaultTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task After_the_server_is_killed_and_restarted_acknowledged_clients_resend_and_nothing_is_lost_or_doubled(bool aligned, bool keepDuplicates)
    {
        using var dir = new TempDirectory();
        var output = dir.File("timestamps.txt");
        var record = dir.File("sent.txt");
        string[] serverArgs = ["--output", output, "--status-interval", "0s", .. (keepDuplicates ? new[] { "--keep-duplicates" } : [])];
        var (server, endpoint) = await ProgramProcess.StartServerAsync(["--listen", "127.0.0.1:0", .. serverArgs]);
        try
        {
            string[] clientArgs = ["--server", endpoint, "-n", "200", "--duration", "10s", "--ack-wait", "10s", "--record", record, "--status-interval", "0s", "--json"];
            using var client = ProgramProcess.Start(ProgramProcess.Client, aligned ? [.. clientArgs, "--aligned"] : clientArgs);

            // Mid-run: the file holds data, and more is in flight and in memory. Kill -9, then restart a second later.
            Assert.True(await Within.PollAsync(() => File.Exists(output) && new FileInfo(output).Length > 2_000, Within.Short));
            server.Kill();
            await server.WaitForExitAsync(Within.Short);
            server.Dispose();
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // the fault: the server stays down for a second
            server = ProgramProcess.Start(ProgramProcess.Server, ["--listen", endpoint, .. serverArgs]); // the port the first one bound
            await server.WaitForLineAsync(l => l.Contains("listening on ", StringComparison.Ordinal), Within.Start);

            await client.WaitForExitAsync(Within.Long);
            Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
            server.Terminate();
            await server.WaitForExitAsync(Within.Short);
            Assert.Equal(0, server.ExitCode);

            var summary = client.ReadJson(ClientJsonContext.Default.ClientSummary);
            Assert.True(summary.Resent > 0, "the clients should have resent unacknowledged values");
            Assert.True(summary.Unacked == 0, client.Stdout + client.Stderr + server.Stdout);

            // Dedupe: the same set. Keep-duplicates: the same multiset, every copy sent stored exactly once.
            var report = TimestampVerifier.Verify(output, unique: !keepDuplicates, record);
            Assert.True(report.Passed, EndToEndTests.VerifyText(report));
            Assert.Equal(summary.Recorded, report.Expected); // the whole record was compared
            Assert.Equal(0, report.Missing);
            Assert.Equal(0, report.Unexpected);
            Assert.False(File.Exists(output + ".late"), "no value should have been late");
        }
        finally
        {
            server.Dispose();
        }
    }

    [Fact]
    public async Task Sigterm_under_load_writes_everything_received_and_every_acknowledged_value_is_in_the_file()
    {
        using var dir = new TempDirectory();
        var output = dir.File("timestamps.txt");
        var acked = dir.File("acked.txt");
        var (server, endpoint) = await ProgramProcess.StartServerAsync("--listen", "127.0.0.1:0", "--output", output, "--status-interval", "0s");
        using var _ = server;
        using var client = ProgramProcess.Start(ProgramProcess.Client,
            "--server", endpoint, "-n", "100", "--duration", "4s", "--ack-wait", "1s", "--record-acked", acked, "--status-interval", "0s");

        // Mid-run, once the file holds more than 500 values (13 digits and a newline each): stop the server. It
        // acknowledges what it wrote before it closes the connections, so at least those are acknowledged.
        const int Written = 500;
        Assert.True(await Within.PollAsync(() => File.Exists(output) && new FileInfo(output).Length > Written * 14, Within.Short));
        server.Terminate();
        await server.WaitForExitAsync(Within.Short);
        Assert.True(server.ExitCode == 0, server.Stdout + server.Stderr);
        await client.WaitForExitAsync(Within.Long);

        var stored = new TimestampReader(output).ReadAll().ToHashSet();
        var acknowledged = new TimestampReader(acked).ReadAll().ToArray();
        Assert.True(acknowledged.Length > Written, $"only {acknowledged.Length} values acknowledged before the stop");
        Assert.All(acknowledged, value => Assert.Contains(value, stored));
        Assert.True(TimestampVerifier.Verify(output, unique: true, recordPath: null).Passed);
    }

    [Fact]
    public async Task A_client_killed_mid_run_does_not_disturb_the_others_and_the_file_stays_sorted()
    {
        using var dir = new TempDirectory();
        var output = dir.File("timestamps.txt");
        var record = dir.File("survivor.txt");
        var (server, endpoint) = await ProgramProcess.StartServerAsync("--listen", "127.0.0.1:0", "--output", output, "--status-interval", "0s");
        using var _ = server;

        using var victim = ProgramProcess.Start(ProgramProcess.Client, "--server", endpoint, "-n", "100", "--status-interval", "0s");
        using var survivor = ProgramProcess.Start(ProgramProcess.Client, "--server", endpoint, "-n", "100", "--duration", "3s", "--record", record, "--status-interval", "0s");
        Assert.True(await Within.PollAsync(() => File.Exists(output) && new FileInfo(output).Length > 2_000, Within.Short));
        victim.Kill();

        await survivor.WaitForExitAsync(Within.Long);
        Assert.Equal(0, survivor.ExitCode);
        server.Terminate();
        await server.WaitForExitAsync(Within.Short);
        Assert.Equal(0, server.ExitCode);

        var report = TimestampVerifier.Verify(output, unique: true, record);
        Assert.True(report.Expected > 0, "the survivor recorded nothing");
        Assert.Equal(0, report.Inversions);
        Assert.Equal(0, report.Duplicates);
        Assert.Equal(0, report.MalformedLines);
        Assert.Equal(0, report.Missing); // every value of the survivor is there; the victim's are extra
    }
}
