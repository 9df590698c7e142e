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
    private readonly List<(string Id, string Kind, long Number, string Payload)> _stream = [];
    private int _inFlight;

    public volatile bool Down;

    public volatile bool LandWhileDown;

    public volatile bool Asynchronous;

    public volatile bool HoldAcks;

    private readonly List<TaskCompletionSource> _held = [];

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

    /// <summary>Completes every held PubAck, the newest first; returns how many.</summary>
    public int ReleaseHeldAcks()
    {
        List<TaskCompletionSource> held;
        lock (_lock)
        {
            held = [.. _held];
            _held.Clear();
        }

        for (var i = held.Count - 1; i >= 0; i--)
        {
            held[i].SetResult();
        }

        return held.Count;
    }

    public Task PublishAsync(string subject, byte[] payload, string msgId, NatsHeaders headers)
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

            if (!Down || LandWhileDown)
            {
                lock (_lock)
                {
                    if (!_stream.Any(f => f.Id == msgId))
                    {
                        _stream.Add((msgId, headers[Frame.KindHeader].ToString(), Frame.Number(headers, Frame.NumberHeader), System.Text.Encoding.ASCII.GetString(payload)));
                    }
                }
            }

            if (Down)
            {
                return new TaskCompletionSource().Task;
            }

            if (HoldAcks)
            {
                var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_lock)
                {
                    _held.Add(held);
                }

                return held.Task;
            }

            return Asynchronous ? Task.Run(() => { }) : Task.CompletedTask;
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
