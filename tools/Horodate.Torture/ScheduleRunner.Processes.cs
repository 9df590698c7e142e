using System.Globalization;

namespace Horodate.Torture;

/// <summary>The processes under test: the server stopped and started, the clients started, the server's port.</summary>
internal sealed partial class ScheduleRunner
{
    private async Task StopServerAsync(bool hard)
    {
        var server = _server!;
        _server = null;
        if (hard)
        {
            server.KillHard();
            await server.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        else
        {
            server.Terminate();
            if (!await server.WaitForExitAsync(StopTimeout).ConfigureAwait(false))
            {
                Violation($"graceful stop: the server did not exit within {StopTimeout.TotalSeconds:0} s of SIGTERM (killed)");
                server.KillHard();
                await server.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            else if (server.ExitCode != 0)
            {
                Violation($"graceful stop: the server exited with code {server.ExitCode} after SIGTERM (README: exits 0); see server.log");
            }
        }

        server.Dispose();
    }

    private async Task<bool> StartServerAsync(CancellationToken stop)
    {
        List<string> args = ["--listen", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_port}"), "--output", Output, "--quiet"];
        if (_schedule.KeepDuplicates)
        {
            args.Add("--keep-duplicates");
        }

        var (server, failure) = await ChildProcess.StartListeningAsync(
            Options.Server, args, Path.Combine(Dir, "server.log"), l => l.Contains("listening on ", StringComparison.Ordinal), StartTimeout, stop).ConfigureAwait(false);
        _serverStarts++;
        if (server is null)
        {
            Violation($"restart: the server did not start again on its file ({failure})");
            return false;
        }

        _server = server;
        return true;
    }

    private void StartClient(int slot, TimeSpan duration)
    {
        var spec = _schedule.Clients[slot];
        var generation = _clients.Count(c => c.Slot == slot);
        var name = string.Create(CultureInfo.InvariantCulture, $"client-{slot}.{generation}");
        var sent = Path.Combine(Dir, name + ".sent");
        var acked = Path.Combine(Dir, name + ".acked");
        List<string> args =
        [
            "--server", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_port}"),
            "-n", spec.Connections.ToString(CultureInfo.InvariantCulture),
            "--duration", string.Create(CultureInfo.InvariantCulture, $"{(long)duration.TotalMilliseconds}ms"),
            "--record", sent,
            "--quiet",
        ];
        args.AddRange(spec.Acknowledged ? ["--record-acked", acked] : ["--no-ack"]);
        var run = new ClientRun(slot, generation, spec, ChildProcess.Start(Options.Client, args, Path.Combine(Dir, name + ".log")), sent, acked);
        lock (_gate)
        {
            _clients.Add(run);
            _slots[slot] = run;
        }
    }
}
