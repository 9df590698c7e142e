using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Horodate.Testing;

namespace Horodate.Torture.Tree;

/// <summary>The tree's processes started, restarted and stopped: nats-server, edges, root, HAProxy, clients.</summary>
internal sealed partial class TreeRunner
{
    private static bool Listening(string line) => line.Contains("listening on ", StringComparison.Ordinal);

    /// <summary>nats-server, the root, the edges (together), then HAProxy when drawn; false (a violation) if a part did not start.</summary>
    private async Task<bool> StartTreeAsync(CancellationToken stop)
    {
        _natsPort = Port();
        var monitorPort = Port();
        await File.WriteAllTextAsync(Path.Combine(Dir, "nats.conf"), TreeSetup.NatsConfig(_natsPort, Path.Combine(Dir, "jetstream"), monitorPort), stop).ConfigureAwait(false);
        _monitor = new JetStreamMonitor(monitorPort);
        for (var slot = 0; slot < _edges.Length; slot++)
        {
            _edges[slot] = new EdgeRun(slot, Port());
        }

        if (!await StartNatsAsync(stop).ConfigureAwait(false) || !await StartRootAsync(stop).ConfigureAwait(false))
        {
            return false;
        }

        var edges = await Task.WhenAll(_edges.Select(e => StartEdgeAsync(e, newId: true, stop))).ConfigureAwait(false);
        return edges.All(started => started) && (!_schedule.Balancer || await StartBalancerAsync(stop).ConfigureAwait(false));
    }

    private async Task<bool> StartNatsAsync(CancellationToken stop)
    {
        var (nats, failure) = await ChildProcess.StartListeningAsync(
            Options.NatsServer, ["-c", Path.Combine(Dir, "nats.conf")], Path.Combine(Dir, "nats.log"), l => l.Contains(TreeSetup.NatsReady, StringComparison.Ordinal), StartTimeout, stop).ConfigureAwait(false);
        _nats = nats;
        return Started(nats, "nats-server", failure);
    }

    /// <summary>The root on its file (the same at every start), its --max-delay (and so its idle timeout) at <see cref="TreeSchedule.RootMaxDelay"/>.</summary>
    private async Task<bool> StartRootAsync(CancellationToken stop)
    {
        List<string> args = ["root", "--nats", NatsUrl, "--output", RootOutput, "--quiet", "--max-delay", string.Create(CultureInfo.InvariantCulture, $"{TreeSchedule.RootMaxDelay.TotalSeconds}s")];
        var (root, failure) = await ChildProcess.StartListeningAsync(
            Options.Server, args, Path.Combine(Dir, "root.log"), Listening, StartTimeout, stop, TreeSetup.Credentials).ConfigureAwait(false);
        _root = root;
        return Started(root, "the root", failure);
    }

    /// <summary>Edge <paramref name="edge"/> on its port, under a new id (e{slot}, then e{slot}-{n}) or the one it had.</summary>
    private async Task<bool> StartEdgeAsync(EdgeRun edge, bool newId, CancellationToken stop)
    {
        if (newId)
        {
            edge.Id = edge.Starts == 0 ? string.Create(CultureInfo.InvariantCulture, $"e{edge.Slot}") : string.Create(CultureInfo.InvariantCulture, $"e{edge.Slot}-{edge.Starts}");
        }

        edge.Starts++;
        List<string> args = ["edge", "--listen", edge.Endpoint, "--nats", NatsUrl, "--edge-id", edge.Id, "--output", Path.Combine(Dir, edge.Id + ".txt"), "--quiet"];
        var (process, failure) = await ChildProcess.StartListeningAsync(
            Options.Server, args, Path.Combine(Dir, string.Create(CultureInfo.InvariantCulture, $"edge-{edge.Slot}.log")), Listening, StartTimeout, stop, TreeSetup.Credentials).ConfigureAwait(false);
        edge.Process = process;
        return Started(process, $"edge {edge.Slot} ({edge.Id})", failure);
    }

    private async Task<bool> StartBalancerAsync(CancellationToken stop)
    {
        var port = Port();
        var config = Path.Combine(Dir, "haproxy.cfg");
        var backends = _edges.Select(e => KeyValuePair.Create(string.Create(CultureInfo.InvariantCulture, $"e{e.Slot}"), e.Endpoint));
        await File.WriteAllTextAsync(config, TreeSetup.HaproxyConfig(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"), backends), stop).ConfigureAwait(false);
        _haproxy = ChildProcess.Start(Options.Haproxy, ["-db", "-f", config], Path.Combine(Dir, "haproxy.log"));

        // HAProxy says nothing when it listens: connect until it accepts (bounded).
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!Connects(port))
        {
            if (_haproxy.HasExited || DateTime.UtcNow > deadline)
            {
                Violation($"HAProxy did not start listening (see haproxy.log)");
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), stop).ConfigureAwait(false);
        }

        _balancer = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}");
        return true;
    }

    private void StartClient(int slot)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"client-{slot}");
        var sent = Path.Combine(Dir, name + ".sent");
        var acked = Path.Combine(Dir, name + ".acked");
        List<string> args = _balancer is { } balancer ? ["--server", balancer] : [.. _edges.SelectMany(e => new[] { "--server", e.Endpoint })];
        args.AddRange([
            "-n", _schedule.Clients[slot].ToString(CultureInfo.InvariantCulture),
            "--duration", string.Create(CultureInfo.InvariantCulture, $"{(long)_schedule.Duration.TotalMilliseconds}ms"),
            "--record", sent,
            "--record-acked", acked,
            "--quiet",
        ]);
        _clients.Add(new ClientRun(slot, ChildProcess.Start(Options.Client, args, Path.Combine(Dir, name + ".log")), sent, acked));
    }

    /// <summary>
    /// The end of the run, gracefully: each edge SIGTERMed (it publishes what it holds and says idle), the root given
    /// the time to hold everything published (its ack floor at the stream's end), then SIGTERMed; HAProxy, nats-server.
    /// </summary>
    private async Task StopTreeAsync(CancellationToken stop)
    {
        foreach (var edge in _edges.Where(e => e.Process is not null))
        {
            await StopGracefullyAsync(edge.Process!, $"edge {edge.Slot} ({edge.Id})").ConfigureAwait(false);
            edge.Process = null;
        }

        var (caughtUp, seen) = await _monitor!.WaitCaughtUpAsync(CatchUpTimeout, stop).ConfigureAwait(false);
        if (!caughtUp)
        {
            Violation($"the root did not hold everything published within {CatchUpTimeout.TotalSeconds:0} s of the edges' stop ({seen})");
        }

        if (_root is not null)
        {
            await StopGracefullyAsync(_root, "the root").ConfigureAwait(false);
            _root = null;
        }

        _haproxy?.Dispose();
        _haproxy = null;
        _nats?.Terminate();
        await (_nats?.WaitForExitAsync(StopTimeout) ?? Task.FromResult(true)).ConfigureAwait(false);
    }

    /// <summary>SIGTERM, and the README's promise for it: an exit with code 0, in time.</summary>
    private async Task StopGracefullyAsync(ChildProcess process, string name)
    {
        process.Terminate();
        if (!await process.WaitForExitAsync(StopTimeout).ConfigureAwait(false))
        {
            Violation($"graceful stop: {name} did not exit within {StopTimeout.TotalSeconds:0} s of SIGTERM (killed)");
        }
        else if (process.ExitCode != 0)
        {
            Violation($"graceful stop: {name} exited with code {process.ExitCode} after SIGTERM (README: exits 0)");
        }

        process.Dispose();
    }

    private bool Started(ChildProcess? process, string name, string failure)
    {
        if (process is null)
        {
            Violation($"{name} did not start ({failure})");
        }

        return process is not null;
    }

    private static bool Connects(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
