using System.Globalization;

namespace Horodate.Testing;

/// <summary>
/// The tree's setup on 127.0.0.1, in one place for the cluster tests and the fault harness's tree mode (both compile
/// this file): nats-server's configuration (JetStream with its own store, a user and password), the line it prints
/// once it serves, the credentials edges and root read from the environment, and HAProxy's configuration.
/// </summary>
internal static class TreeSetup
{
    public const string NatsUser = "horodate", NatsPassword = "tree-secret";

    /// <summary>What nats-server prints once it accepts clients.</summary>
    public const string NatsReady = "Server is ready";

    /// <summary>The credentials edges and root read from the environment (never on their command line).</summary>
    public static Dictionary<string, string> Credentials => new(StringComparer.Ordinal)
    {
        ["HORODATE_NATS_USER"] = NatsUser,
        ["HORODATE_NATS_PASSWORD"] = NatsPassword,
    };

    /// <summary>
    /// nats-server's configuration: JetStream with its store in <paramref name="storeDir"/>, authentication on, listening
    /// on <paramref name="port"/>; with <paramref name="monitorPort"/>, its monitoring endpoint too (<c>/jsz</c>).
    /// </summary>
    public static string NatsConfig(int port, string storeDir, int? monitorPort = null) =>
        string.Create(CultureInfo.InvariantCulture, $$"""
            listen: 127.0.0.1:{{port}}
            jetstream { store_dir: "{{storeDir}}" }
            authorization { user: {{NatsUser}}, password: {{NatsPassword}} }
            {{(monitorPort is { } m ? $"http: 127.0.0.1:{m}" : "")}}
            """);

    /// <summary>
    /// HAProxy in front of <paramref name="edges"/> (id → host:port): TCP, least connections, redispatch, health checks
    /// every 200 ms (as scripts/cluster-demo.sh writes it). maxconn 8,000: HAProxy needs two descriptors per connection
    /// (client and edge side) and refuses to start when the limit (20,000 here) is lower.
    /// </summary>
    public static string HaproxyConfig(string bind, IEnumerable<KeyValuePair<string, string>> edges) =>
        $"""
        global
          maxconn 8000
        defaults
          mode tcp
          timeout connect 1s
          timeout client 60s
          timeout server 60s
          retries 2
          option redispatch
        frontend horodate
          bind {bind}
          default_backend edges
        backend edges
          balance leastconn
        {string.Join('\n', edges.Select(e => string.Create(CultureInfo.InvariantCulture, $"  server {e.Key} {e.Value} check inter 200ms fall 1 rise 2")))}

        """;
}
