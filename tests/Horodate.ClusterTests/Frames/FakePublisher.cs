using Horodate.Server.Sinks.JetStream;
using NATS.Client.Core;

namespace Horodate.ClusterTests.Frames;

/// <summary>
/// A JetStream stand-in: keeps the frames it acknowledged, in the order they landed, and drops a republished frame by
/// its id as JetStream's duplicate window does. While <see cref="Down"/>, a publish lands (or not: <see cref="LandWhileDown"/>)
/// but its PubAck never comes, as when nats-server dies; <see cref="Gate"/>, when set, holds every publish until released.
/// With <see cref="Asynchronous"/>, a PubAck completes the publish's task on another thread, as NATS.Net's does; with
/// <see cref="HoldAcks"/>, frames land but their PubAcks wait for <see cref="ReleaseHeldAcks"/>, which completes them
/// newest first (out of the order of their publishes, as a PubAck that outlived its publish timeout arrives).
/// </summary>
internal sealed class FakePublisher : IFramePublisher
{
    private readonly Lock _lock = new();
    private readonly List<(string Id, string Kind, long Number, string Payload, long Life, long Incarnation)> _stream = [];
    private int _inFlight;
    private int _purged; // the frames before this index were purged (aged out of the stream): gone, their sequences not reused

    public volatile bool Down;

    public volatile bool LandWhileDown;

    public volatile bool Asynchronous;

    public volatile bool HoldAcks;

    private readonly List<(TaskCompletionSource<ulong> Ack, ulong Sequence)> _held = [];

    /// <summary>When set, every publish waits on it (bounded) before it lands.</summary>
    public SemaphoreSlim? Gate { get; set; }

    /// <summary>Publishes under way now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most publishes ever under way at once.</summary>
    public int MostInFlight { get; private set; }

    /// <summary>The frames JetStream holds, in stream order: kind and number.</summary>
    public List<(string Kind, long Number, string Payload)> Stream
    {
        get
        {
            lock (_lock)
            {
                return [.. _stream.Select(f => (f.Kind, f.Number, f.Payload))];
            }
        }
    }

    /// <summary>The lives of the frames JetStream holds, in stream order.</summary>
    public List<long> Lives
    {
        get
        {
            lock (_lock)
            {
                return [.. _stream.Select(f => f.Life)];
            }
        }
    }

    /// <summary>Another publisher's frame lands on the subject (a killed life's publish still on its way).</summary>
    public void LandOther(string id, long life, long incarnation)
    {
        lock (_lock)
        {
            _stream.Add((id, Frame.Active, 1, "", life, incarnation));
        }
    }

    /// <summary>Every frame on the subject goes, as when they all aged out of the stream (<c>max_age</c>); sequences go on from the stream's end.</summary>
    public void Purge()
    {
        lock (_lock)
        {
            _purged = _stream.Count;
        }
    }

    /// <summary>One subject: its last frame's sequence (the stream's length), life and incarnation; the stream's end.</summary>
    public Task<LastFrame> LastAsync(string subject)
    {
        lock (_lock)
        {
            return Task.FromResult(_stream.Count == _purged ? LastFrame.None with { StreamEnd = (ulong)_stream.Count }
                : new LastFrame((ulong)_stream.Count, _stream[^1].Life, _stream[^1].Incarnation, _stream[^1].Number, (ulong)_stream.Count));
        }
    }

    /// <summary>Completes every held PubAck, the newest first; returns how many.</summary>
    public int ReleaseHeldAcks()
    {
        List<(TaskCompletionSource<ulong> Ack, ulong Sequence)> held;
        lock (_lock)
        {
            held = [.. _held];
            _held.Clear();
        }

        for (var i = held.Count - 1; i >= 0; i--)
        {
            held[i].Ack.SetResult(held[i].Sequence);
        }

        return held.Count;
    }

    public Task<ulong> PublishAsync(string subject, byte[] payload, string msgId, NatsHeaders headers, ulong? expectedLast = null)
    {
        lock (_lock)
        {
            MostInFlight = Math.Max(MostInFlight, ++_inFlight);
        }

        try
        {
            if (Gate is { } gate && !gate.Wait(TimeSpan.FromSeconds(10)))
            {
                throw new InvalidOperationException("The test never released the publish.");
            }

            ulong sequence = 0;
            if (!Down || LandWhileDown)
            {
                lock (_lock)
                {
                    if (_stream.FindIndex(f => f.Id == msgId) is var copy and >= 0)
                    {
                        sequence = (ulong)copy + 1; // a duplicate: dropped, the first copy's sequence acknowledged
                    }
                    else if (expectedLast is { } expected && expected != (_stream.Count == _purged ? 0UL : (ulong)_stream.Count))
                    {
                        return Task.FromException<ulong>(new FrameClaimLostException($"wrong last sequence for {msgId}"));
                    }
                    else
                    {
                        _stream.Add((msgId, headers[Frame.KindHeader].ToString(), Frame.Number(headers, Frame.NumberHeader), System.Text.Encoding.ASCII.GetString(payload),
                            Frame.Number(headers, Frame.LifeHeader), Frame.Number(headers, Frame.IncarnationHeader)));
                        sequence = (ulong)_stream.Count;
                    }
                }
            }

            if (Down)
            {
                return new TaskCompletionSource<ulong>().Task;
            }

            if (HoldAcks)
            {
                var held = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_lock)
                {
                    _held.Add((held, sequence));
                }

                return held.Task;
            }

            return Asynchronous ? Task.Run(() => sequence) : Task.FromResult(sequence);
        }
        finally
        {
            lock (_lock)
            {
                _inFlight--;
            }
        }
    }
}
