using System.Net;
using System.Net.Sockets;
using Horodate.FunctionalTests.Support;
using Horodate.Testing;

namespace Horodate.ClusterTests.Support;

/// <summary>
/// A whole tree on 127.0.0.1, each part its own process: nats-server with JetStream and authentication on (its store
/// in the test's directory), edges, a root, and HAProxy in front of the edges. Everything started is killed on dispose.
/// </summary>
internal sealed class Tree : IAsyncDisposable
{
    private readonly List<ProgramProcess> _processes = [];
    private readonly Dictionary<string, ProgramProcess> _edges = new(StringComparer.Ordinal);
    private string _natsConfig = "";

    private Tree(TempDirectory dir) => Dir = dir;

    public TempDirectory Dir { get; }

    public string NatsUrl { get; private set; } = "";

    public string Output => Dir.File("root.txt");

    public ProgramProcess? Root { get; private set; }

    public ProgramProcess? Nats { get; private set; }

    /// <summary>Each edge's client endpoint, by id.</summary>
    public Dictionary<string, string> EdgeEndpoints { get; } = new(StringComparer.Ordinal);

    /// <summary>HAProxy's frontend, once started.</summary>
    public string? Balancer { get; private set; }

    /// <summary>The credentials edges and root read from the environment.</summary>
    public static Dictionary<string, string> Credentials => TreeSetup.Credentials;

    /// <summary>Starts nats-server -js with authentication, on a free port, its store in a fresh directory.</summary>
    public static async Task<Tree> StartNatsAsync()
    {
        var tree = new Tree(new TempDirectory());
        var port = FreePort();
        var config = tree.Dir.File("nats.conf");
        await File.WriteAllTextAsync(config, TreeSetup.NatsConfig(port, tree.Dir.File("jetstream")));
        tree._natsConfig = config;
        await tree.RestartNatsAsync();
        tree.NatsUrl = $"nats://127.0.0.1:{port}";
        return tree;
    }

    /// <summary>Starts nats-server (again, after <see cref="KillNats"/>) on the same port and store directory.</summary>
    public async Task RestartNatsAsync()
    {
        Nats = Track(ProgramProcess.Start("nats-server", "-c", _natsConfig));
        await Nats.WaitForLineAsync(l => l.Contains(TreeSetup.NatsReady, StringComparison.Ordinal), Within.Start);
    }

    /// <summary>kill -9 of nats-server, waited for (its port is free again once it has exited).</summary>
    public async Task KillNatsAsync()
    {
        Nats!.Kill();
        await Nats.WaitForExitAsync(Within.Short);
    }

    /// <summary>kill -9 of the root, waited for.</summary>
    public async Task KillRootAsync()
    {
        Root!.Kill();
        await Root.WaitForExitAsync(Within.Short);
    }

    /// <summary>Starts edge <paramref name="id"/> on a free port.</summary>
    public async Task<string> StartEdgeAsync(string id, params string[] extra)
    {
        var edge = Track(ProgramProcess.Start(ProgramProcess.Server, Credentials,
            ["edge", "--listen", "127.0.0.1:0", "--nats", NatsUrl, "--edge-id", id, "--output", Dir.File(id + ".txt"), "--quiet", .. extra]));
        var line = await edge.WaitForLineAsync(l => l.Contains("listening on ", StringComparison.Ordinal), Within.Start);
        var endpoint = line.Split("listening on ")[1].Split(' ', ',')[0];
        _edges[id] = edge;
        EdgeEndpoints[id] = endpoint;
        return endpoint;
    }

    /// <summary>Starts the root, writing <see cref="Output"/>.</summary>
    public async Task StartRootAsync(params string[] extra)
    {
        Root = Track(ProgramProcess.Start(ProgramProcess.Server, Credentials, ["root", "--nats", NatsUrl, "--output", Output, "--quiet", .. extra]));
        await Root.WaitForLineAsync(l => l.Contains("listening on ", StringComparison.Ordinal), Within.Start);
    }

    /// <summary>Starts HAProxy (TCP, least connections, health-checked) in front of every edge started so far.</summary>
    public async Task<string> StartBalancerAsync()
    {
        var port = FreePort();
        var config = Dir.File("haproxy.cfg");
        await File.WriteAllTextAsync(config, TreeSetup.HaproxyConfig($"127.0.0.1:{port}", EdgeEndpoints));
        var haproxy = Track(ProgramProcess.Start("haproxy", "-db", "-f", config));
        Balancer = $"127.0.0.1:{port}";
        if (!await Within.PollAsync(() => Connects(port), Within.Start))
        {
            throw new InvalidOperationException($"HAProxy did not start listening: {haproxy.Stderr}");
        }

        return Balancer;
    }

    /// <summary>What every edge and the root wrote to stderr, for a failure's message.</summary>
    public string Stderr => string.Join('\n', _edges.Select(e => $"{e.Key}: {e.Value.Stderr}").Append($"root: {Root?.Stderr}"));

    /// <summary>The process of the edge last started as <paramref name="id"/>.</summary>
    public ProgramProcess Edge(string id) => _edges[id];

    /// <summary>kill -9 of an edge.</summary>
    public void KillEdge(string id) => _edges[id].Kill();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            process.Dispose();
        }

        await Task.CompletedTask;
        Dir.Dispose();
    }

    private ProgramProcess Track(ProgramProcess process)
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>A port the system says is free now (bound on port 0, then released: another process could take it in between).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
