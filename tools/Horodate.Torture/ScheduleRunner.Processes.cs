using System.Globalization;
using System.Net;
using System.Net.Sockets;

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

        // A restart right after a stop can find the port still held for a moment: a few tries.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var server = ChildProcess.Start(_options.Server, args, Path.Combine(_dir, "server.log"));
            _serverStarts++;
            if (await server.WaitForLineAsync(l => l.Contains("listening on ", StringComparison.Ordinal), StartTimeout).ConfigureAwait(false) is not null)
            {
                _server = server;
                return true;
            }

            var code = server.HasExited ? server.ExitCode : -1;
            server.Dispose();
            if (code != 1 || !Tail("server.log").Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                Violation($"restart: the server did not start again on its file (exit code {code}): {Tail("server.log").ReplaceLineEndings(" | ")}");
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
        }

        Violation("restart: the port stayed in use");
        return false;
    }

    private void StartClient(int slot, TimeSpan duration)
    {
        var spec = _schedule.Clients[slot];
        var generation = _clients.Count(c => c.Slot == slot);
        var name = string.Create(CultureInfo.InvariantCulture, $"client-{slot}.{generation}");
        var sent = Path.Combine(_dir, name + ".sent");
        var acked = Path.Combine(_dir, name + ".acked");
        List<string> args =
        [
            "--server", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_port}"),
            "-n", spec.Connections.ToString(CultureInfo.InvariantCulture),
            "--duration", string.Create(CultureInfo.InvariantCulture, $"{(long)duration.TotalMilliseconds}ms"),
            "--record", sent,
            "--quiet",
        ];
        args.AddRange(spec.Acknowledged ? ["--record-acked", acked] : ["--no-ack"]);
        var run = new ClientRun(slot, generation, spec, ChildProcess.Start(_options.Client, args, Path.Combine(_dir, name + ".log")), sent, acked);
        lock (_gate)
        {
            _clients.Add(run);
            _slots[slot] = run;
        }
    }

    /// <summary>
    /// A free port below the ephemeral range: the clients keep connecting while the server is down, and a
    /// connect to a port in the ephemeral range can draw that very port as its source and connect to itself.
    /// </summary>
    private int FreePort()
    {
        var low = 32768;
        try
        {
            low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            // keep Linux's default
        }

        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = 10000 + _rng.Next(Math.Max(1000, low - 10000));
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken: draw another
            }
        }

        throw new InvalidOperationException("no free port below the ephemeral range");
    }
}
