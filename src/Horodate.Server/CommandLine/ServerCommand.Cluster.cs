using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Horodate.CommandLine;
using Horodate.Core.Durability;
using Horodate.Server.Hosting;
using Horodate.Server.Sinks.JetStream;
using Horodate.Server.Sources.JetStream;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Horodate.Server.CommandLine;

/// <content>The <c>edge</c> and <c>root</c> subcommands: the server's tree over NATS JetStream (docs/scaling.md).</content>
internal static partial class ServerCommand
{
    /// <summary>An edge flushes (and so publishes a frame) this often unless told: ~20 frames/s, as the design asks.</summary>
    private static readonly TimeSpan EdgeFlushInterval = TimeSpan.FromMilliseconds(50);

    private delegate ServerOptions? OptionsBuilder(ParseResult parse, out string? error);

    private static (Option<string> Nats, Option<string?> Credentials, Option<TimeSpan?> MaxAge) NatsOptions() => (
        new Option<string>("--nats")
        {
            Description = "The NATS server with JetStream, e.g. nats://127.0.0.1:4222 (tls://… for TLS). Credentials come from "
                + $"{NatsSettings.UserVariable} and {NatsSettings.PasswordVariable}, or {NatsSettings.TokenVariable}, or --nats-credentials.",
            HelpName = "url",
            Required = true,
        },
        new Option<string?>("--nats-credentials")
        {
            Description = "A file with user=…, password=… (or token=…) lines for NATS; overrides the environment. [default: the environment]",
            HelpName = "file",
        },
        StreamMaxAgeOption());

    private static Command CreateEdge(Option[] shared, OptionsBuilder build, Option<bool> json, Option<LogLevel?> logLevel)
    {
        var (nats, credentials, maxAge) = NatsOptions();
        var edgeId = new Option<string>("--edge-id")
        {
            Description = "This edge's name, unique in the tree: its frames go to horodate.frames.<edge-id>.",
            HelpName = "id",
            Required = true,
        };
        var edge = new Command("edge",
            """
            Run as an edge: the server, whose output is NATS JetStream instead of a file. Every flush (default 50 ms here)
            publishes one frame of the values final at this edge; clients are acknowledged once JetStream has them.
            Example: horodate-server edge --listen 127.0.0.1:7891 --nats nats://127.0.0.1:4222 --edge-id e1
            """);
        foreach (var option in shared)
        {
            edge.Add(option);
        }

        edge.Add(nats);
        edge.Add(credentials);
        edge.Add(maxAge);
        edge.Add(edgeId);
        edge.SetAction(async (parse, cancel) =>
        {
            var options = build(parse, out var error);
            var id = parse.GetValue(edgeId)!;
            if (options is null || id.Length == 0 || id.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_'))
            {
                return CliParsing.Fail(Name, error ?? "--edge-id: letters, digits, '-' and '_' only.", parse.GetValue(json));
            }

            if (!parse.Tokens.Any(t => t.Value == "--flush-interval"))
            {
                options = options with { FlushInterval = EdgeFlushInterval };
            }

            if (StreamSettings(parse, nats, credentials, maxAge, out var natsError) is not { } settings)
            {
                return CliParsing.Fail(Name, natsError!, parse.GetValue(json));
            }

            var role = new EdgeRole(settings, id, options.Output);
            await using (role.ConfigureAwait(false))
            {
                return await RunClusterAsync(options, role, parse.GetValue(logLevel), parse.GetValue(json)).ConfigureAwait(false);
            }
        });
        return edge;
    }

    private static Command CreateRoot(Option[] shared, OptionsBuilder build, Option<bool> json, Option<LogLevel?> logLevel)
    {
        var (nats, credentials, maxAge) = NatsOptions();
        var rebuild = RebuildOption();
        var root = new Command("root",
            """
            Run as the root: the server, whose source is every edge's frames on NATS JetStream (a durable consumer), each
            edge one ordered source; writes --output as a single server does and acknowledges to JetStream after the fsync.
            It also accepts clients on --listen (default: a free port on 127.0.0.1). --idle-timeout defaults to --max-delay here.
            Example: horodate-server root --nats nats://127.0.0.1:4222 --output timestamps.txt
            """);
        foreach (var option in shared)
        {
            root.Add(option);
        }

        root.Add(nats);
        root.Add(credentials);
        root.Add(maxAge);
        root.Add(rebuild);
        root.SetAction(async (parse, cancel) =>
        {
            var options = build(parse, out var error);
            if (options is null)
            {
                return CliParsing.Fail(Name, error!, parse.GetValue(json));
            }

            if (!parse.Tokens.Any(t => t.Value is "--listen" or "-l"))
            {
                options = options with { Listen = [new IPEndPoint(IPAddress.Loopback, 0)] };
            }

            if (!parse.Tokens.Any(t => t.Value == "--idle-timeout"))
            {
                // A killed edge's clients reconnect (backoff from 100 ms up to 5 s) and resend through another edge: its
                // source holds the output that long so that the resends land in order. Holding longer than --max-delay
                // is pointless (the write point moves on regardless); an edge left by its clients says so at once.
                options = options with { Ordering = options.Ordering with { IdleTimeoutMs = options.Ordering.MaxDelayMs } };
            }

            if (parse.GetValue(rebuild) && RebuildRefusal(options.Output) is { } refusal)
            {
                return CliParsing.Fail(Name, refusal, parse.GetValue(json));
            }

            if (StreamSettings(parse, nats, credentials, maxAge, out var natsError) is not { } settings)
            {
                return CliParsing.Fail(Name, natsError!, parse.GetValue(json));
            }

            ClusterRole role = parse.GetValue(rebuild) ? new RebuildRole(settings) : new RootRole(settings);
            await using (role.ConfigureAwait(false))
            {
                return await RunClusterAsync(options, role, parse.GetValue(logLevel), parse.GetValue(json)).ConfigureAwait(false);
            }
        });
        return root;
    }

    private static async Task<int> RunClusterAsync(ServerOptions options, ClusterRole role, LogLevel? logLevel, bool json)
    {
        try
        {
            await role.ConnectAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or IOException or InvalidDataException or SocketException or TimeoutException)
        {
            return await CannotStartAsync($"cannot reach NATS JetStream at {role.Settings.Url}: {ex.Message}", json).ConfigureAwait(false);
        }

        return await RunAsync(options, logLevel ?? LogLevel.Warning, json, live: false, role).ConfigureAwait(false);
    }
}
