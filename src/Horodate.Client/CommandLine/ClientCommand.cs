using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Horodate.Client.Load;
using Horodate.Client.Status;
using Horodate.CommandLine;
using Horodate.Core.CommandLine;
using Horodate.Hosting;
using Horodate.Logging;
using Microsoft.Extensions.Logging;

namespace Horodate.Client.CommandLine;

/// <summary>The <c>horodate-client</c> command line.</summary>
internal static class ClientCommand
{
    private const string Name = "horodate-client";

    public static RootCommand Create()
    {
        var defaults = ClientOptions.Default;
        var server = new Option<string[]>("--server", "-s")
        {
            Description = $"The server to connect to; repeat to spread the connections over several (connection i goes to server i mod k, and to the next one when its own cannot be reached). [default: {defaults.Server}]",
            HelpName = "host:port",
            Validators =
            {
                result =>
                {
                    foreach (var token in result.Tokens)
                    {
                        if (!EndpointParser.TryParse(token.Value, out _, out _, out var error))
                        {
                            result.AddError($"--server: {error}");
                        }
                    }
                },
            },
        };
        var connections = CliParsing.Integer("--connections", "-n", $"How many TCP connections to open. [default: {defaults.Connections}]", 1, 1_000_000);
        var interval = CliParsing.Duration("--interval", $"How often each connection sends the time. [default: {DurationParser.Format(defaults.Interval)}]", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        var duration = CliParsing.Duration("--duration", "Stop after this long. [default: run until Ctrl-C]", TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(365));
        var aligned = new Option<bool>("--aligned")
        {
            Description = "Make all connections send at the same instants (the worst case for duplicates); by default they are spread evenly over the interval.",
        };
        var record = new Option<string?>("--record")
        {
            Description = "At exit, write every value sent, sorted, one per line (for horodate-server verify --expect).",
            HelpName = "file",
        };
        var recordAcked = new Option<string?>("--record-acked")
        {
            Description = "At exit, write every value the server acknowledged, sorted, one per line: each must be in the server's files.",
            HelpName = "file",
        };
        var noAck = new Option<bool>("--no-ack")
        {
            Description = "Plain mode: send no hello, keep nothing for resending (the statement's protocol). By default the client asks for acknowledgements, keeps unacknowledged values and resends them after a reconnect.",
        };
        var ackWait = CliParsing.Duration("--ack-wait", $"At stop, this long at most to send what is owed and wait for the last acknowledgements. [default: {DurationParser.Format(defaults.AckWait)}]", TimeSpan.Zero, TimeSpan.FromMinutes(10));
        var tls = new Option<bool>("--tls") { Description = "Speak TLS to the server (horodate-server --tls-cert)." };
        var tlsInsecure = new Option<bool>("--tls-insecure") { Description = "With --tls: accept any certificate (self-signed). For tests only." };
        var threads = CliParsing.Integer("--threads", "", $"Scheduler threads sending on the connections. [default: {defaults.SchedulerThreads}]", 1, 64);
        var sourceIps = CliParsing.Integer("--source-ips", "", $"Spread connections over 127.0.0.1 to 127.0.0.K (loopback servers; keeps connect() fast past ~14,000 connections). [default: {defaults.SourceAddresses}, the system chooses]", 0, 254);
        var (statusInterval, quiet) = CliParsing.ReportOptions(defaults.StatusInterval);
        var json = new Option<bool>("--json")
        {
            Description = "Standard output holds one JSON object only, printed at exit: the summary, with an error field if the run failed. Every other line goes to standard error.",
        };
        var config = ConfigLayers.ConfigOption("""{ "server": "127.0.0.1:7890", "connections": 200, "interval": "50ms" }""");
        var logLevel = CliParsing.Choice("--log-level",
            "Log messages from this level up, on standard error: Debug, Information, Warning, Error. [default: Information]",
            "level", LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error);

        var root = new RootCommand(
            """
            Horodate client: opens n TCP connections to a Horodate server and, on each one, sends the current Unix
            time in milliseconds every interval ("1732200000000\n"). Lost connections come back with backoff.

            Examples:
              horodate-client                                   50 connections to 127.0.0.1:7890, every 50ms, until Ctrl-C
              horodate-client -n 50 --duration 10s --record sent.txt
              horodate-client -s [::1]:7890 -n 2000 --aligned --duration 1m
            """)
        {
            server, connections, interval, duration, aligned, record, recordAcked, noAck, ackWait, tls, tlsInsecure, threads, sourceIps, statusInterval, quiet, json, config, logLevel,
        };

        root.SetAction(async (parse, cancel) =>
        {
            var host = defaults.Host;
            var port = defaults.Port;
            var servers = new List<(string Host, int Port)>();
            foreach (var text in parse.GetValue(server) ?? [])
            {
                if (!EndpointParser.TryParse(text, out var h, out var p, out var error))
                {
                    return CliParsing.Fail(Name, $"--server: {error}", parse.GetValue(json)); // the validator already said so; kept for safety
                }

                servers.Add((h, p));
            }

            if (servers.Count > 0)
            {
                (host, port) = servers[0];
            }

            if (parse.GetValue(tlsInsecure) && !parse.GetValue(tls))
            {
                return CliParsing.Fail(Name, "--tls-insecure needs --tls.", parse.GetValue(json));
            }

            if (parse.GetValue(noAck) && parse.GetValue(recordAcked) is not null)
            {
                return CliParsing.Fail(Name, "--record-acked needs acknowledgements: drop --no-ack, or use --record.", parse.GetValue(json));
            }

            if (port == 0 || servers.Exists(s => s.Port == 0))
            {
                return CliParsing.Fail(Name, "--server: port 0 is not a server's port.", parse.GetValue(json));
            }

            if (parse.GetValue(sourceIps) > 0 && !(System.Net.IPAddress.TryParse(host, out var address) && address.GetAddressBytes() is [127, _, _, _]))
            {
                return CliParsing.Fail(Name, "--source-ips works with a server on 127.0.0.0/8 only.", parse.GetValue(json));
            }

            var options = defaults with
            {
                Host = host,
                Port = port,
                ExtraServers = servers.Skip(1).ToArray(),
                Connections = parse.GetValue(connections) ?? defaults.Connections,
                Interval = parse.GetValue(interval) ?? defaults.Interval,
                Duration = parse.GetValue(duration),
                Aligned = parse.GetValue(aligned),
                RecordPath = parse.GetValue(record),
                AckedRecordPath = parse.GetValue(recordAcked),
                Acknowledged = !parse.GetValue(noAck),
                AckWait = parse.GetValue(ackWait) ?? defaults.AckWait,
                Tls = parse.GetValue(tls),
                TlsInsecure = parse.GetValue(tlsInsecure),
                SchedulerThreads = parse.GetValue(threads) ?? defaults.SchedulerThreads,
                SourceAddresses = parse.GetValue(sourceIps) ?? defaults.SourceAddresses,
                StatusInterval = parse.GetValue(statusInterval) ?? defaults.StatusInterval,
            };
            try
            {
                options.Validate(); // the flags are checked one by one as they are parsed; this checks them together
            }
            catch (ArgumentException ex)
            {
                return CliParsing.Fail(Name, ex.Message, parse.GetValue(json));
            }

            var live = LivePanelFeature.IsSupported && !parse.GetValue(quiet) && !parse.GetValue(json) && !Console.IsOutputRedirected;
            return await RunAsync(options, parse.GetValue(logLevel) ?? LogLevel.Information, parse.GetValue(json), live).ConfigureAwait(false);
        });
        return root;
    }

    private static async Task<int> RunAsync(ClientOptions options, LogLevel level, bool json, bool live)
    {
        using var signal = new StopSignal();
        using var loggerFactory = ConsoleLogging.CreateFactory(level);
        var logger = loggerFactory.CreateLogger("Horodate.Client");
        var notes = JsonOutput.Notes(json);
        var until = options.Duration is { } d ? $"for {DurationParser.Format(d)}" : "until Ctrl-C";
        await notes.WriteLineAsync($"{Name}: {options.Connections:N0} connections to {options.Server}, one value every {DurationParser.Format(options.Interval)} each ({(options.Aligned ? "aligned" : "spread")}), {until}.").ConfigureAwait(false);
        ClientSummary summary;
        try
        {
            if (LivePanelFeature.IsSupported && live)
            {
                StandardOutputWriter.Flush(); // the first line out before the panel's first frame
                var panel = new LivePanel();
                var run = LoadClient.RunAsync(options with { StatusInterval = LivePanel.Refresh }, panel, logger, signal.Token);
                await panel.ShowAsync(run, options).ConfigureAwait(false);
                summary = await run.ConfigureAwait(false);
            }
            else
            {
                summary = await LoadClient.RunAsync(options, new StatusLines(notes), logger, signal.Token).ConfigureAwait(false);
            }
        }
        catch (SocketException ex)
        {
            return await FailAsync($"cannot resolve {options.Host}: {ex.Message}", json).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            return await FailAsync(ex.Message, json).ConfigureAwait(false);
        }

        if (!json)
        {
            JsonOutput.Result.WriteLine(StatusText.Summary(Name, summary, options));
        }
        else
        {
            // A run that sent nothing failed (exit code 1): its object says why, beside the counts that show it.
            var failed = summary.Sent > 0 ? summary : summary with { Error = NothingSent(summary, options) };
            JsonOutput.Result.WriteLine(JsonSerializer.Serialize(failed, ClientJsonContext.Default.ClientSummary));
        }

        return summary.Sent > 0 ? 0 : 1;
    }

    /// <summary>Why a run sent nothing, in words: the server could not be reached, or the run stopped first.</summary>
    private static string NothingSent(ClientSummary s, ClientOptions options) => s.ConnectionsUp == 0 && s.ConnectFailures > 0
        ? string.Create(CultureInfo.InvariantCulture, $"sent nothing: cannot connect to {options.Server} ({s.ConnectFailures:N0} failed attempts; standard error says why)")
        : $"sent nothing: {s.ConnectionsUp:N0} of {s.Connections:N0} connections to {options.Server} were up, and the run stopped before a value was due";

    private static async Task<int> FailAsync(string message, bool json)
    {
        await Console.Error.WriteLineAsync($"{Name}: {message}").ConfigureAwait(false);
        if (json)
        {
            JsonOutput.WriteError(message);
        }

        return 1;
    }
}
