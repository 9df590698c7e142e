using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Horodate.CommandLine;
using Horodate.Core.CommandLine;
using Horodate.Hosting;
using Horodate.Logging;
using Horodate.Server.Hosting;
using Horodate.Server.Status;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.CommandLine;

/// <summary>The <c>horodate-server</c> command line: run the server, or <c>verify</c> a file.</summary>
internal static partial class ServerCommand
{
    private const string Name = "horodate-server";

    public static RootCommand Create()
    {
        var defaults = ServerOptions.Default;
        var listen = CliParsing.Repeatable<IPEndPoint>("--listen", "-l",
            $"Address to accept connections on; repeat for several. Port 0 picks a free port. [default: {string.Join(", ", defaults.Listen)}; root: a free port on 127.0.0.1]",
            "address:port", EndpointParser.TryParseListen);
        var output = new Option<string>("--output", "-o")
        {
            Description = $"The ordered output file; appended to if it exists. Late values go to <output>.late. [default: {defaults.Output}]",
            HelpName = "file",
        };
        var keepDuplicates = new Option<bool>("--keep-duplicates")
        {
            Description = "Store every value received, duplicates included (by default each distinct value is stored once).",
        };
        var idleTimeout = CliParsing.Duration("--idle-timeout",
            $"A connection silent this long stops holding the output back. [default: {FormatMs(defaults.Ordering.IdleTimeoutMs)}; root: its --max-delay]", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        var maxFuture = CliParsing.Duration("--max-future",
            $"Reject values further ahead of this server's clock than this. {DefaultMs(defaults.Ordering.MaxFutureMs)}", TimeSpan.Zero, TimeSpan.FromHours(1));
        var maxDelay = CliParsing.Duration("--max-delay",
            $"Never hold a value back longer than this waiting for a lagging connection; its older values then count as late. {DefaultMs(defaults.Ordering.MaxDelayMs)}",
            TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        var resumeGrace = CliParsing.Duration("--resume-grace",
            $"After a restart on an existing file, hold the write point at its end this long so that reconnecting clients' resends land in order. {DefaultMs(defaults.Ordering.ResumeGraceMs)}",
            TimeSpan.Zero, TimeSpan.FromHours(1));
        var flushInterval = CliParsing.Duration("--flush-interval",
            $"How often ready values are appended to the file (an edge: published as one frame). [default: {DurationParser.Format(defaults.FlushInterval)}; edge: {DurationParser.Format(EdgeFlushInterval)}]",
            TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
        var syncInterval = CliParsing.Duration("--sync-interval",
            $"How often written values are fsynced and acknowledged to clients in acknowledged mode. {Default(defaults.SyncInterval)}", TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        var ackInterval = CliParsing.Duration("--ack-interval",
            $"How often, at most, a sending acknowledged client is told what became durable; 0s for every sync. A client that has finished is acknowledged at once. {Default(defaults.AckInterval)}", TimeSpan.Zero, TimeSpan.FromMinutes(1));
        var (statusInterval, quiet) = CliParsing.ReportOptions(defaults.StatusInterval);
        var readTimeout = CliParsing.Duration("--read-timeout",
            $"Close a connection that sends nothing for this long; 0s for never. {Default(defaults.ReadTimeout)}", TimeSpan.Zero, TimeSpan.FromDays(1));
        var maxConnections = CliParsing.Integer("--max-connections", "", $"Refuse connections beyond this many (counted, logged). [default: {defaults.MaxConnections}]", 1, 1_000_000);
        var allow = CliParsing.Repeatable<IPNetwork>("--allow", null,
            "Only accept peers from this network (CIDR, e.g. 127.0.0.0/8, 10.1.0.0/16, ::1/128); repeat for several. [default: any peer that reaches --listen]",
            "cidr", TryParseNetwork);
        var tlsCert = new Option<string?>("--tls-cert")
        {
            Description = "Serve TLS with this certificate (PEM, key in --tls-key or in the same file; or PKCS#12). Uses the Kestrel transport. [default: plain TCP]",
            HelpName = "file",
        };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The PEM private key of --tls-cert.", HelpName = "file" };
        var transport = CliParsing.Choice("--transport",
            $"How connections are read: Epoll (one receive thread, the lean path; Linux x64), Kestrel (portable), or Auto. [default: {defaults.Transport}]",
            "kind", TransportKind.Auto, TransportKind.Epoll, TransportKind.Kestrel);
        var http = new Option<IPEndPoint?>("--http")
        {
            Description = "Serve a live dashboard (/), /metrics (Prometheus), /healthz and /status (JSON) over HTTP here, e.g. 127.0.0.1:8080. No authentication: keep it on loopback. [default: off]",
            HelpName = "address:port",
            CustomParser = result =>
            {
                if (EndpointParser.TryParseListen(result.Tokens.Count == 1 ? result.Tokens[0].Value : "", out var endpoint, out var error))
                {
                    return endpoint;
                }

                result.AddError($"--http: {error}");
                return null;
            },
        };
        var json = new Option<bool>("--json")
        {
            Description = "Standard output holds one JSON object only, printed at exit: the summary, or {\"error\": ...} if the server cannot start. Every other line goes to standard error.",
        };
        var config = ConfigLayers.ConfigOption("""{ "output": "ts.txt", "idle-timeout": "2s" }""");
        var logLevel = CliParsing.Choice("--log-level",
            "Log messages from this level up, on standard error: Trace, Debug, Information, Warning, Error. [default: Warning]",
            "level", LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error);

        var root = new RootCommand(
            """
            Horodate server: receives millisecond timestamps (one per line) on TCP connections, merges them into
            one ascending, deduplicated stream, and appends it to a file as it goes.

            Examples:
              horodate-server                                   listen on 127.0.0.1:7890, write timestamps.txt
              horodate-server -l 0.0.0.0:7890 -l [::]:7890 -o /var/lib/horodate/ts.txt
              horodate-server --listen 127.0.0.1:0 --keep-duplicates
              horodate-server verify timestamps.txt --unique --expect sent.txt
            """)
        {
            listen, output, keepDuplicates, idleTimeout, maxFuture, maxDelay, resumeGrace, flushInterval, syncInterval, ackInterval, readTimeout, maxConnections, allow, statusInterval, quiet, tlsCert, tlsKey, transport, http, json, config, logLevel,
        };
        root.Add(VerifyCommand.Create());

        root.SetAction(async (parse, cancel) =>
        {
            var options = Build(parse, out var error);
            if (options is null)
            {
                return CliParsing.Fail(Name, error!, parse.GetValue(json));
            }

            var live = LivePanelFeature.IsSupported && !parse.GetValue(quiet) && !parse.GetValue(json) && !Console.IsOutputRedirected;
            return await RunAsync(options, parse.GetValue(logLevel) ?? LogLevel.Warning, parse.GetValue(json), live).ConfigureAwait(false);
        });
        Option[] shared = [listen, output, keepDuplicates, idleTimeout, maxFuture, maxDelay, resumeGrace, flushInterval, syncInterval, ackInterval, readTimeout, maxConnections, allow, statusInterval, quiet, tlsCert, tlsKey, transport, http, json, config, logLevel];
        if (ServerFeatures.Cluster)
        {
            root.Add(CreateEdge(shared, Build, json, logLevel));
            root.Add(CreateRoot(shared, Build, json, logLevel));
        }
        else
        {
            root.Add(Missing("edge"));
            root.Add(Missing("root"));
        }

        ServerOptions? Build(ParseResult parse, out string? error)
        {
            var ordering = defaults.Ordering;
            if (parse.GetValue(tlsKey) is not null && parse.GetValue(tlsCert) is null)
            {
                error = "--tls-key needs --tls-cert.";
                return null;
            }

            var options = defaults with
            {
                Listen = parse.GetValue(listen) is { Length: > 0 } endpoints ? endpoints : defaults.Listen,
                Output = parse.GetValue(output) ?? defaults.Output,
                FlushInterval = parse.GetValue(flushInterval) ?? defaults.FlushInterval,
                SyncInterval = parse.GetValue(syncInterval) ?? defaults.SyncInterval,
                AckInterval = parse.GetValue(ackInterval) ?? defaults.AckInterval,
                StatusInterval = parse.GetValue(statusInterval) ?? defaults.StatusInterval,
                Transport = parse.GetValue(transport) ?? defaults.Transport,
                TlsCertificatePath = parse.GetValue(tlsCert),
                Http = parse.GetValue(http),
                TlsKeyPath = parse.GetValue(tlsKey),
                ReadTimeout = parse.GetValue(readTimeout) ?? defaults.ReadTimeout,
                MaxConnections = parse.GetValue(maxConnections) ?? defaults.MaxConnections,
                Allow = parse.GetValue(allow) is { Length: > 0 } networks ? networks : defaults.Allow,
                Ordering = ordering with
                {
                    Dedupe = !parse.GetValue(keepDuplicates),
                    IdleTimeoutMs = Ms(parse.GetValue(idleTimeout)) ?? ordering.IdleTimeoutMs,
                    MaxFutureMs = Ms(parse.GetValue(maxFuture)) ?? ordering.MaxFutureMs,
                    MaxDelayMs = Ms(parse.GetValue(maxDelay)) ?? ordering.MaxDelayMs,
                    ResumeGraceMs = Ms(parse.GetValue(resumeGrace)) ?? ordering.ResumeGraceMs,
                },
            };
            try
            {
                options.Validate(); // the flags are checked one by one as they are parsed; this checks them together
            }
            catch (ArgumentException ex)
            {
                error = ex.Message;
                return null;
            }

            error = null;
            return options;
        }

        return root;
    }

    /// <summary>
    /// A role the lean edition lacks, refused with the edition to install (as its other missing parts are), whatever
    /// follows it; without it, the parser said only that <c>edge</c> and each of its flags were unrecognized.
    /// </summary>
    private static Command Missing(string role)
    {
        var command = new Command(role, $"Not in this build: {ServerFeatures.FullEdition}.") { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(parse => CliParsing.Fail(Name, $"the {role} role runs on NATS JetStream: {ServerFeatures.FullEdition}.", parse.Tokens.Any(t => t.Value == "--json")));
        return command;
    }

    private static bool TryParseNetwork(string token, out IPNetwork network, out string error)
    {
        error = IPNetwork.TryParse(token, out network) ? "" : $"'{token}' is not a network in CIDR form (e.g. 127.0.0.0/8).";
        return error.Length == 0;
    }

    private static long? Ms(TimeSpan? duration) => duration is { } d ? (long)d.TotalMilliseconds : null;

    /// <summary>A help text's <c>[default: …]</c> for a duration, read from the options' defaults.</summary>
    private static string Default(TimeSpan duration) => $"[default: {DurationParser.Format(duration)}]";

    private static string DefaultMs(long milliseconds) => Default(TimeSpan.FromMilliseconds(milliseconds));

    private static string FormatMs(long milliseconds) => DurationParser.Format(TimeSpan.FromMilliseconds(milliseconds));

    /// <summary>A server that cannot start (not a usage error): <c>cannot start: ...</c> on standard error (and as JSON), exit code 1.</summary>
    private static async Task<int> CannotStartAsync(string reason, bool json)
    {
        var error = $"cannot start: {reason}";
        await Console.Error.WriteLineAsync($"{Name}: {error}").ConfigureAwait(false);
        if (json)
        {
            JsonOutput.WriteError(error);
        }

        return 1;
    }

    private static async Task<int> RunAsync(ServerOptions options, LogLevel logLevel, bool json, bool live, ClusterRole? cluster = null)
    {
        if (cluster?.Files is null && Directory.Exists(options.Output))
        {
            // Opening it would say only "Access to the path is denied".
            return await CannotStartAsync($"{options.Output} is a directory; --output names the file to write.", json).ConfigureAwait(false);
        }

        using var signal = new StopSignal();
        var notes = JsonOutput.Notes(json);
        HorodateServer server;
        try
        {
            // With the live panel, no plain status reporter: it would write nowhere.
            server = await HorodateServer.StartAsync(
                live ? options with { StatusInterval = TimeSpan.Zero } : options,
                live ? TextWriter.Null : notes,
                logLevel,
                cluster?.Time,
                cluster?.Files).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or PlatformNotSupportedException or SocketException)
        {
            return await CannotStartAsync(ex.Message, json).ConfigureAwait(false);
        }

        await using (server.ConfigureAwait(false))
        {
            var mode = options.Ordering.Dedupe ? "each distinct value once" : "every value, duplicates kept";
            var resumed = server.ResumedAfter is { } last ? $", resuming after {last}" : "";
            var httpAt = server.HttpEndpoint is { } h ? $"; dashboard on http://{h}/ (metrics at /metrics)" : "";
            if (cluster is not null)
            {
                await cluster.StartedAsync(server, notes).ConfigureAwait(false);
            }

            await notes.WriteLineAsync($"{Name}: listening on {string.Join(", ", server.Endpoints)} ({server.Transport.ToString().ToLowerInvariant()}){httpAt}; writing {options.Output} ({mode}{resumed}); late values go to {options.LateOutput}. Ctrl-C to stop.").ConfigureAwait(false);
            await notes.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            // A critical error (a failed fsync, a transport that cannot read) stops the server as a signal would; then it exits non-zero.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(signal.Token, server.Failing, cluster?.Done ?? CancellationToken.None);
            try
            {
                if (LivePanelFeature.IsSupported && live)
                {
                    StandardOutputWriter.Flush(); // the listening line out before the panel's first frame
                    await LivePanel.RunAsync(server, options.Output, stop.Token).ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // the stop
            }

            await notes.WriteLineAsync($"{Name}: stopping: writing everything received...").ConfigureAwait(false);

            if (cluster is not null)
            {
                await cluster.StoppingAsync().ConfigureAwait(false);
            }

            var summary = await server.StopAsync().ConfigureAwait(false);
            if (cluster is not null)
            {
                await cluster.StoppedAsync(notes).ConfigureAwait(false);
            }

            if ((server.Failure.IsCompleted ? await server.Failure.ConfigureAwait(false) : cluster?.Failure) is { } failure)
            {
                var error = $"stopped: {failure.Reason}";
                await Console.Error.WriteLineAsync($"{Name}: {error}").ConfigureAwait(false);
                if (json)
                {
                    JsonOutput.WriteError(error); // the one object on standard output
                }
                else
                {
                    JsonOutput.Result.WriteLine(StatusText.Summary(Name, summary, options));
                }

                return failure.ExitCode;
            }

            JsonOutput.Result.WriteLine(json ? JsonSerializer.Serialize(summary, ServerJsonContext.Default.ServerSummary) : StatusText.Summary(Name, summary, options));
            return 0;
        }
    }
}
