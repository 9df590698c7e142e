using Horodate.Core.Durability;
using Horodate.Server.Hosting;
using Horodate.Server.Logging;
using Horodate.Server.Sinks.JetStream;
using Horodate.Server.Sources.JetStream;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Horodate.Server.CommandLine;

/// <content>The roles of the tree's subcommands: what an edge (frames published to JetStream) or a root (frames taken from it) adds to a running server.</content>
internal static partial class ServerCommand
{
    /// <summary>What an edge or a root adds to a running server.</summary>
    private abstract class ClusterRole(NatsSettings settings) : IAsyncDisposable
    {
        private NatsConnection? _connection;

        public NatsSettings Settings { get; } = settings;

        protected INatsJSContext JetStream { get; private set; } = null!;

        /// <summary>The output seam, if not the file system.</summary>
        public virtual IFileSystem? Files => null;

        /// <summary>The engine's clock: the system's on an edge; the root's is set back (<see cref="BalancerAllowance"/>).</summary>
        public virtual TimeProvider Time => TimeProvider.System;

        /// <summary>Cancelled when the role's work is done and the server should stop (a rebuild's end, an edge superseded).</summary>
        public virtual CancellationToken Done => CancellationToken.None;

        /// <summary>Why the role stopped the server, if it failed (then the program exits with its code).</summary>
        public virtual ServerFailure? Failure => null;

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
        /// How often the edge looks whether it became active (or may have become idle): 10 ms, well inside the root's
        /// lag (at least the edges' 50 ms flush), so that an active frame reaches the root before its output passes the
        /// new connection's first values.
        /// </summary>
        private static readonly TimeSpan ActiveCheck = TimeSpan.FromMilliseconds(10);

        private readonly CancellationTokenSource _stop = new();
        private readonly CancellationTokenSource _superseded = new(); // never disposed: it has no timer
        private FrameSequence? _frames;
        private FrameFileSystem? _files;
        private Task? _check;

        public override IFileSystem? Files => _files;

        public override CancellationToken Done => _superseded.Token;

        public override ServerFailure? Failure => _frames is { Superseded: true }
            ? new ServerFailure($"another process publishes as edge {edgeId}; is --edge-id unique?", ServerFailure.EdgeSupersededExitCode)
            : null;

        protected override void Connected()
        {
            _frames = new FrameSequence(new JetStreamFramePublisher(JetStream), edgeId, PublishTimeout);
            _files = new FrameFileSystem(_frames, output);
        }

        public override async Task StartedAsync(HorodateServer server, TextWriter notes)
        {
            var pipeline = server.Pipeline;
            var greeting = new EdgeGreeting(_frames!);
            var announcer = new EdgeAnnouncer(_frames!, () =>
            {
                var s = pipeline.Snapshot();
                return (s.OpenSources, s.BufferedValues);
            }, greeting);
            pipeline.Flushed = announcer.Flushed; // the idle announcement, in the writer's order
            pipeline.Greeting = greeting.Greet; // an acknowledged client's OK once the root holds for this edge
            _check = Task.Run(() => CheckAsync(announcer, pipeline, server.Logger, _stop.Token), CancellationToken.None);
            await notes.WriteLineAsync($"{Name}: edge {edgeId}: publishing frames to {NatsSettings.SubjectPrefix}{edgeId} on {Settings.Url}.").ConfigureAwait(false);
        }

        public override async Task StoppingAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            if (_check is not null)
            {
                try
                {
                    await _check.ConfigureAwait(false);
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

        private async Task CheckAsync(EdgeAnnouncer announcer, Pipeline.IngestPipeline pipeline, ILogger logger, CancellationToken cancel)
        {
            using var timer = new PeriodicTimer(ActiveCheck);
            while (await timer.WaitForNextTickAsync(cancel).ConfigureAwait(false))
            {
                if (_frames!.Superseded)
                {
                    ServerLog.EdgeSuperseded(logger, edgeId);
                    await _superseded.CancelAsync().ConfigureAwait(false); // the server stops, exit code 4
                    return;
                }

                if (announcer.Check())
                {
                    pipeline.Wake(); // a writer asleep since its last connection closed: its next step says idle
                }
            }
        }

        public override async Task StoppedAsync(TextWriter notes) =>
            await notes.WriteLineAsync($"{Name}: edge {edgeId}: {_frames?.Published ?? 0:N0} frames published.").ConfigureAwait(false);
    }

    private sealed class RootRole(NatsSettings settings) : ClusterRole(settings)
    {
        private FrameSource? _source;

        public override TimeProvider Time { get; } = new BalancerAllowance(TimeProvider.System);

        public override async Task StartedAsync(HorodateServer server, TextWriter notes)
        {
            _source = new FrameSource(server.Pipeline, JetStream, Time, server.Pipeline.IdleTimeout, server.Logger);
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
