namespace Horodate.Server.Sinks.JetStream;

/// <summary>
/// An edge's <c>OK</c> to an acknowledged client's hello waits until the root surely holds its output for this edge
/// (<see cref="FrameSequence.HeldByRoot"/>: the active frame's PubAck is in). Causality then keeps the client's values
/// in order at the root, whatever the timings: the client stamps its first value after the <c>OK</c>, so after the
/// active frame landed in the stream; every value in a frame before it in the stream was stamped before that frame
/// landed, so below the client's; and the root, taking frames in stream order, opens the edge's source (holding at
/// the active frame's stream time, less the clocks' skew allowance) before its output passes anything above them.
/// Without the wait, the OK went out at once and the active frame's way to the root (the 10 ms check, the publish,
/// the delivery) raced the other edges' values: the simulator found the new client's first values in the root's
/// <c>.late</c> in 2 % of its schedules. Costs one PubAck (a few milliseconds) for the first client after an idle
/// spell; none while the edge is active.
/// </summary>
/// <param name="frames">The edge's frames.</param>
internal sealed class EdgeGreeting(FrameSequence frames)
{
    private readonly Lock _gate = new();
    private List<Action> _waiting = [];

    /// <summary>Clients waiting for their <c>OK</c> now.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="ok"/> (the client's <c>OK</c>) now if the root holds for this edge, else once it does (<see cref="Release"/>).</summary>
    public void Greet(Action ok)
    {
        ArgumentNullException.ThrowIfNull(ok);
        lock (_gate)
        {
            if (!frames.HeldByRoot)
            {
                _waiting.Add(ok);
                return;
            }
        }

        ok();
    }

    /// <summary>Greets every waiting client if the root holds for this edge now (after an active frame's PubAck).</summary>
    public void Release()
    {
        List<Action> ready;
        lock (_gate)
        {
            if (_waiting.Count == 0 || !frames.HeldByRoot)
            {
                return;
            }

            (ready, _waiting) = (_waiting, []);
        }

        foreach (var ok in ready)
        {
            try
            {
                ok();
            }
            catch (ObjectDisposedException)
            {
                // the connection ended while it waited: nobody to greet
            }
        }
    }
}
