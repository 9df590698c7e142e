using Horodate.Core.Durability;
using Horodate.Server.Sinks.JetStream;
using Horodate.Server.Sources.JetStream;
using Microsoft.Extensions.Logging.Abstractions;

namespace Horodate.Simulation.Tree;

/// <content>The steps: clients, edges, the root (its consumer and acknowledgements), and the faults.</content>
internal sealed partial class TreeSimulator
{
    /// <summary>The edges' flush interval (production's default is 10 ms) and the check's (10 ms).</summary>
    private const long FlushMs = 10, CheckMs = 10;

    /// <summary>How often the root acknowledges its durable prefix (production: 50 ms).</summary>
    private const long AckMs = 50;

    private void StartEdge(string id, long skewMs)
    {
        _edges.Add(new SimEdge(id, _jetStream, _clock, skewMs, _random.Next(FrameSequence.SaltRange), _edgeOptions) { LastFlushMs = _clock.MonoMs, LastCheckMs = _clock.MonoMs });
        Note($"edge {id} started (clock {skewMs:+0;-0} ms)");
    }

    private void StartRoot()
    {
        _root = IngestCore.Open(_rootOptions, _files, _rootClock, NullEvents.Instance);
        _intake = new FrameIntake(_root, _rootClock, TimeSpan.FromMilliseconds(_rootOptions.Ordering.IdleTimeoutMs), NullLogger.Instance)
        {
            Taken = _jetStream.AckFloor, // the consumer's ack floor
        };
        _lastRootFlushMs = _lastAckMs = _clock.MonoMs;
        Note($"root started at ack floor {_jetStream.AckFloor}, delivered {_jetStream.Delivered}");
    }

    private void Clients()
    {
        foreach (var client in _clients)
        {
            if (client.Connection is null)
            {
                if (_clock.MonoMs < client.ReconnectAtMs || _edges.Count == 0)
                {
                    continue;
                }

                // Through the balancer: any live edge. The edge opens the source at the accept and turns acknowledgements
                // on at the hello; its OK waits for the root's hold (EdgeGreeting).
                var edge = _edges[_random.Next(_edges.Count)];
                var source = edge.Core.OpenSource();
                edge.Core.EnableAcks(source, client.Name, client.Target());
                client.Connection = (edge, source);
                client.Greeted = false;
                var connection = ++client.Connections;
                edge.Greeting.Greet(() => client.Greeted |= client.Connections == connection);
                Note($"client {client.Id} connected to {edge.Id} ({edge.Frames.Incarnation})");
                continue;
            }

            if (!client.Greeted)
            {
                continue;
            }

            if (client.Connections != client.Sent)
            {
                // The OK arrived: the resends, in order, before anything new.
                client.Sent = client.Connections;
                client.Connection.Value.Edge.Core.Ingest(client.Connection.Value.Source, client.Unacked.ToArray());
                Note($"client {client.Id} greeted by {client.Connection.Value.Edge.Id}, resent {client.Unacked.Count}");
                continue;
            }

            if (!client.Finished && _random.Chance(300))
            {
                var value = Math.Max(client.LastStamped, _clock.WallMs);
                client.LastStamped = value;
                client.Unacked.Add(value);
                client.Connection.Value.Edge.Core.Ingest(client.Connection.Value.Source, [value]);
            }
            else if (client.Finished && client.HalfClosed != client.Connections)
            {
                // Done sending, as horodate-client at the end of its run: it half-closes at once and waits for its last
                // acknowledgement. (A client connected yet silent for longer than the idle timeout holds its edge's merge
                // back, and its edge's values reach the root late: README, heartbeats not done yet. Not modelled.)
                client.HalfClosed = client.Connections;
                client.Connection.Value.Edge.Core.FinishSource(client.Connection.Value.Source);
            }
        }
    }

    private static void RunEdge(SimEdge edge, long now)
    {
        if (now - edge.LastCheckMs >= CheckMs)
        {
            edge.LastCheckMs = now;
            edge.WakeWriter |= edge.Announcer.Check();
        }

        if (now - edge.LastFlushMs >= FlushMs)
        {
            edge.LastFlushMs = now;
            edge.Flush();
        }

        if (edge.Core.SyncPending)
        {
            _ = edge.Core.RunSync();
        }
    }

    private void RunRoot(long now)
    {
        if (!_jetStream.Down)
        {
            for (var n = 1 + _random.Next(4); n > 0 && _jetStream.Next(_jetStream.Delivered) is { } frame; n--)
            {
                _jetStream.Delivered = frame.Sequence;
                Deliver(frame);
            }

            var unacked = (int)(_jetStream.Delivered - Math.Min(_jetStream.AckFloor, _jetStream.Delivered));
            if (_random.Chance(10) && unacked > 0 && _jetStream.Next(_jetStream.AckFloor + (ulong)_random.Next(unacked)) is { } again)
            {
                // A redelivery (AckWait ran out, a reconnect): of a frame delivered and not acknowledged (with AckPolicy
                // All, JetStream never redelivers below the ack floor); the root must recognise it.
                Deliver(again);
            }
        }

        if (now - _lastRootFlushMs >= FlushMs)
        {
            _lastRootFlushMs = now;
            _ = _root!.Flush(final: false);
        }

        if (_root!.SyncPending)
        {
            _ = _root.RunSync();
        }

        if (now - _lastAckMs >= AckMs)
        {
            _lastAckMs = now;
            if (_intake!.Acknowledgeable(out _) is ulong sequence && !_jetStream.Down)
            {
                _jetStream.Ack(sequence);
            }
        }
    }

    /// <summary>A delivered frame, as <c>FrameSource</c> takes it: a redelivery dropped, a gap read directly first.</summary>
    private void Deliver(FrameMessage frame)
    {
        switch (_intake!.Arrive(frame))
        {
            case FrameIntake.Arrival.Redelivery:
                Note($"root drops {frame.Sequence} ({frame.Edge} {frame.Kind} {frame.Life}:{frame.Incarnation}/{frame.Number}) as a redelivery, taken {_intake.Taken}");
                return;
            case FrameIntake.Arrival.AfterGap:
                for (var seq = _intake.Taken + 1; seq < frame.Sequence; seq++)
                {
                    if (_jetStream.Read(seq) is { } skipped)
                    {
                        _intake.Take(skipped, ackable: false);
                    }
                }

                _intake.Taken = Math.Max(_intake.Taken, frame.Sequence - 1);
                break;
        }

        Note($"root takes {frame.Sequence}: {frame.Edge} {frame.Kind} {frame.Life}:{frame.Incarnation}/{frame.Number} [{System.Text.Encoding.ASCII.GetString(frame.Data.Span).Replace('\n', ' ')}]");
        _intake.Take(frame, ackable: true);
    }

    private void Faults(long now)
    {
        if (_random.Chance(2) && _edges.Count > 0)
        {
            // An edge killed -9: its connections drop, its clients reconnect (through the balancer) after a backoff.
            var edge = _edges[_random.Next(_edges.Count)];
            _ = _edges.Remove(edge);
            EdgeKills++;
            if (_random.Chance(500))
            {
                // Killed mid-publish: the frame its writer (or its greeting) was publishing is on its way, and lands later.
                _jetStream.Interrupting = true;
                if (edge.Frames.Silent && _random.Chance(500))
                {
                    // A life that published nothing yet, killed while a client's hello had it announce itself: its
                    // first-ever frame is on its way (the root may see the life only after the next one's frames).
                    _ = edge.Frames.TryAnnounce(Frame.Active, wait: true);
                }

                _ = edge.Announcer.Check();
                edge.Flush();
                _jetStream.Interrupting = false;
                Note($"edge {edge.Id} killed mid-publish: {_jetStream.OnTheWay} publishes on their way");
            }

            foreach (var client in _clients.Where(c => c.Connection?.Edge == edge))
            {
                client.Connection = null;
                client.ReconnectAtMs = now + 10 + _random.Next(300);
            }

            var id = _random.Chance(700) ? edge.Id : $"{edge.Id}.{++_lives}";
            _downEdges.Add((id, now + _random.Next(600)));
            Note($"edge {edge.Id} killed ({edge.Frames.Published} frames published, said {edge.Frames.Said}); back as {id}; its clients' unacknowledged: {string.Join(' ', _clients.Where(c => c.Connection is null).SelectMany(c => c.Unacked))}");
        }

        if (_random.Chance(3) && _clients[_random.Next(_clients.Count)] is { Connection: { } moved } client1)
        {
            // A connection drops (the network, the balancer): the edge closes it; the client reconnects and resends.
            moved.Edge.Core.CloseSource(moved.Source);
            client1.Connection = null;
            client1.ReconnectAtMs = now + 10 + _random.Next(200);
            Note($"client {client1.Id} disconnected from {moved.Edge.Id}");
        }

        if (_root is not null && !_streamCutBack && _random.Chance(1))
        {
            _root = null;
            _intake = null;
            _files.Crash();
            RootKills++;
            _rootUpAtMs = now + _random.Next(500);
            Note("root killed");
        }

        if (!_jetStream.Down && _random.Chance(1))
        {
            _natsUpAtMs = now + 20 + _random.Next(600);
            NatsOutages++;
            if (_random.Chance(500) && _intake is not null)
            {
                // A power loss without replicas: the store's end is gone, at most what the root took (what it had not
                // is acknowledged values lost: not promised). What it took but has not made durable would be lost by
                // a root killed later: none is, in this schedule.
                var lost = _jetStream.LoseEnd(1 + _random.Next(5), _intake.Taken);
                _streamCutBack |= lost > 0;
                Note($"nats-server lost the last {lost} frames of its stream");
            }

            // Deliveries in flight to the root are lost with it: the consumer's next delivery skips past them.
            _jetStream.Delivered = Math.Min(_jetStream.LastSequence, _jetStream.Delivered + (ulong)_random.Next(3));
            Note($"nats-server down until {_natsUpAtMs}; stream ends at {_jetStream.LastSequence}");
        }
    }
}
