using System.CommandLine;
using Horodate.CommandLine;
using Horodate.Server.Hosting;
using Horodate.Server.Sinks.JetStream;
using Horodate.Server.Sources.JetStream;

namespace Horodate.Server.CommandLine;

/// <content><c>root --rebuild</c>: the stream replayed into a fresh file (issue 13).</content>
internal static partial class ServerCommand
{
    private static Option<bool> RebuildOption() => new("--rebuild")
    {
        Description = "Replay every frame the stream still keeps (see --stream-max-age) into --output, which must not exist or be "
            + "empty, then exit; the live root's consumer is untouched. [default: off]",
    };

    private static Option<TimeSpan?> StreamMaxAgeOption() => CliParsing.Duration("--stream-max-age",
        "How long the stream keeps frames (what --rebuild can replay); every edge and root should give the same. [default: 1h]",
        TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));

    /// <summary>The NATS settings of the command line, checked; null (and why) when they are unusable: a usage error.</summary>
    private static NatsSettings? StreamSettings(ParseResult parse, Option<string> nats, Option<string?> credentials, Option<TimeSpan?> maxAge, out string? error)
    {
        try
        {
            var settings = NatsSettings.From(parse.GetValue(nats)!, parse.GetValue(credentials));
            if (parse.GetValue(maxAge) is { } age)
            {
                settings = settings with { MaxAge = age, DuplicateWindow = age < settings.DuplicateWindow ? age : settings.DuplicateWindow };
            }

            settings.Validate();
            error = null;
            return settings;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            error = $"--nats: {ex.Message}";
            return null;
        }
    }

    /// <summary>Why <paramref name="output"/> cannot be rebuilt into, or null.</summary>
    private static string? RebuildRefusal(string output) =>
        new FileInfo(output) is { Exists: true, Length: > 0 } ? $"--rebuild: {output} exists and is not empty; rebuild into a fresh file." : null;

    /// <summary>Replays the stream on its own clock, then stops the server (which writes and syncs everything).</summary>
    private sealed class RebuildRole(NatsSettings settings) : ClusterRole(settings)
    {
        private readonly ReplayClock _clock = new();
        private readonly CancellationTokenSource _done = new();
        private FrameSource? _source;
        private Task? _replay;

        public override TimeProvider Time => _clock;

        public override CancellationToken Done => _done.Token;

        public override async Task StartedAsync(HorodateServer server, TextWriter notes)
        {
            _source = new FrameSource(server.Pipeline, JetStream, Time, server.Pipeline.IdleTimeout, server.Logger);
            await notes.WriteLineAsync($"{Name}: root: rebuilding from every frame {NatsSettings.StreamName} keeps on {Settings.Url}.").ConfigureAwait(false);
            _replay = Task.Run(async () =>
            {
                try
                {
                    await _source.RebuildAsync(_clock, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    await _done.CancelAsync().ConfigureAwait(false);
                }
            });
        }

        public override Task StoppingAsync() => _source?.StopTakingAsync() ?? Task.CompletedTask;

        public override async Task StoppedAsync(TextWriter notes)
        {
            if (_replay is not null)
            {
                await _replay.ConfigureAwait(false); // a failed replay fails the command
            }

            await notes.WriteLineAsync($"{Name}: root: rebuilt from {_source?.Frames ?? 0:N0} frames.").ConfigureAwait(false);
        }

        public override async ValueTask DisposeAsync()
        {
            if (_source is not null)
            {
                await _source.DisposeAsync().ConfigureAwait(false);
            }

            _done.Dispose();
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
