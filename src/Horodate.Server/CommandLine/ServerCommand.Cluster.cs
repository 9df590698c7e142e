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

            var role = new EdgeRole(StreamSettings(parse, nats, credentials, maxAge), id, options.Output);
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
            It also accepts clients on --listen (default: a free port on 127.0.0.1).
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

            var settings = StreamSettings(parse, nats, credentials, maxAge);
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
            return CliParsing.Fail(Name, $"cannot reach NATS JetStream at {role.Settings.Url}: {ex.Message}", json);
        }

        return await RunAsync(options, logLevel ?? LogLevel.Warning, json, live: false, role).ConfigureAwait(false);
    }

    /// <summary>What an edge or a root adds to a running server.</summary>
    private abstract class ClusterRole(NatsSettings settings) : IAsyncDisposable
    {
        private NatsConnection? _connection;

        public NatsSettings Settings { get; } = settings;

        protected INatsJSContext JetStream { get; private set; } = null!;

        /// <summary>The output seam, if not the file system.</summary>
        public virtual IFileSystem? Files => null;

        /// <summary>The engine's clock: the wall clock set back by the balancer's allowance, on edges and root alike.</summary>
        public virtual TimeProvider Time { get; } = new BalancerAllowance(TimeProvider.System);

        /// <summary>Cancelled when the role's work is done and the server should stop (a rebuild's end).</summary>
        public virtual CancellationToken Done => CancellationToken.None;

        /// <summary>Connects, authenticates and makes sure the stream exists.</summary>
        public async Task ConnectAsync(CancellationToken cancel)
        {
            _connection = Settings.Connect($"horodate-{GetType().Name}");
            await _connection.ConnectAsync().ConfigureAwait(false);
            JetStream = new NatsJSContext(_connection);
            await Settings.EnsureStreamAsync(JetStream, cancel).ConfigureAwait(false);
            Connected();
        }

        protected virtual void Connected()
        {
        }

        public virtual Task StartedAsync(HorodateServer server, TextWriter notes) => Task.CompletedTask;

        public virtual Task StoppingAsync() => Task.CompletedTask;

        public virtual Task StoppedAsync(TextWriter notes) => Task.CompletedTask;

        public virtual async ValueTask DisposeAsync()
        {
            try
            {
                if (_connection is not null)
                {
                    await _connection.DisposeAsync().ConfigureAwait(false);
                }
            }
            catch (NatsException)
            {
                // NATS.Net 3.3 throws from dispose while the server is down: nothing is left to lose here.
            }
        }
    }

    private sealed class EdgeRole(NatsSettings settings, string edgeId, string output) : ClusterRole(settings)
    {
        /// <summary>How long a frame's PubAck may take before the write counts as failed (and is retried).</summary>
        private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

        /// <summary>
        /// How often the edge looks whether it became idle or active: 10 ms, well inside the root's lag (at least the
        /// edges' 50 ms flush), so that an active frame reaches the root before its output passes the new connection's
        /// first values.
        /// </summary>
        private static readonly TimeSpan IdleCheck = TimeSpan.FromMilliseconds(10);

        private readonly CancellationTokenSource _stop = new();
        private FrameFileSystem? _files;
        private Task? _idle;

        public override IFileSystem? Files => _files;

        protected override void Connected() => _files = new FrameFileSystem(JetStream, edgeId, output, PublishTimeout);

        public override async Task StartedAsync(HorodateServer server, TextWriter notes)
        {
            _idle = Task.Run(() => SayIdleAsync(server, _stop.Token), CancellationToken.None);
            await notes.WriteLineAsync($"{Name}: edge {edgeId}: publishing frames to {NatsSettings.SubjectPrefix}{edgeId} on {Settings.Url}.").ConfigureAwait(false);
        }

        public override async Task StoppingAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            if (_idle is not null)
            {
                try
                {
                    await _idle.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // the stop
                }
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await StoppingAsync().ConfigureAwait(false);
            _stop.Dispose();
            await base.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>
        /// Says when the edge changes between idle (no connection left, everything received published: the root stops
        /// waiting for it at once instead of after its idle timeout) and active (a connection opened: the root holds its
        /// output for this edge from now on, before the connection's first values are final here and published).
        /// </summary>
        private async Task SayIdleAsync(HorodateServer server, CancellationToken cancel)
        {
            using var timer = new PeriodicTimer(IdleCheck);
            string? said = null;
            while (await timer.WaitForNextTickAsync(cancel).ConfigureAwait(false))
            {
                var s = server.Pipeline.Snapshot();
                var state = s.OpenSources > 0 ? Frame.Active
                    : s.BufferedValues == 0 && s.Writer.PendingBytes == 0 ? Frame.Idle
                    : said; // connections gone, values still on their way: not idle yet
                if (state != said && _files is not null && _files.PublishState(state!))
                {
                    said = state;
                }
            }
        }

        public override async Task StoppedAsync(TextWriter notes) =>
            await notes.WriteLineAsync($"{Name}: edge {edgeId}: {_files?.Published ?? 0:N0} frames published.").ConfigureAwait(false);
    }

    private sealed class RootRole(NatsSettings settings) : ClusterRole(settings)
    {
        private FrameSource? _source;

        public override async Task StartedAsync(HorodateServer server, TextWriter notes)
        {
            _source = new FrameSource(server.Pipeline, JetStream, server.Logger);
            await _source.StartAsync(CancellationToken.None).ConfigureAwait(false);
            await notes.WriteLineAsync($"{Name}: root: taking frames from {NatsSettings.StreamName} ({NatsSettings.SubjectPrefix}>) on {Settings.Url}, consumer {FrameSource.ConsumerName}.").ConfigureAwait(false);
        }

        public override Task StoppingAsync() => _source?.StopTakingAsync() ?? Task.CompletedTask;

        public override async Task StoppedAsync(TextWriter notes)
        {
            if (_source is null)
            {
                return;
            }

            await _source.AcknowledgeDurableAsync().ConfigureAwait(false);
            await notes.WriteLineAsync($"{Name}: root: {_source.Frames:N0} frames taken, {_source.Acknowledged:N0} acknowledged to JetStream.").ConfigureAwait(false);
        }

        public override async ValueTask DisposeAsync()
        {
            if (_source is not null)
            {
                await _source.DisposeAsync().ConfigureAwait(false);
            }

            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
