namespace Horodate.Server.Sinks.JetStream;

/// <summary>
/// Every frame an edge publishes (values, late values, its idle and active announcements) in one sequence: numbered
/// under one gate, published one at a time, each waited for until JetStream's PubAck. A frame whose publish failed is
/// <em>in doubt</em> (it may have landed): it is republished, with the same number, id and bytes (JetStream drops it
/// if it had), before any later frame, so the stream holds an edge's frames in the order of their numbers, without
/// gaps. Announcements are refused while a value frame is in doubt: only its writer republishes it (the bytes it
/// covers are the writer's to account for), and an announcement passing it (an idle frame, say) would let the root
/// write past values still to come.
/// </summary>
/// <param name="publisher">JetStream (or a stand-in).</param>
/// <param name="edgeId">The edge's id: its subject and its frames' ids.</param>
/// <param name="publishTimeout">How long a PubAck may take before the frame is in doubt.</param>
/// <param name="incarnation">This life's incarnation (<see cref="IncarnationAt"/>); by default from the system's clock and a random salt.</param>
internal sealed class FrameSequence(IFramePublisher publisher, string edgeId, TimeSpan publishTimeout, long? incarnation = null)
{
    /// <summary>
    /// The salt's range: 10⁶, so that an incarnation (the start's Unix ms × 10⁶ + salt, ~1.7 × 10¹⁸) fits a long and
    /// still reads as the start time in its first 13 digits.
    /// </summary>
    public const int SaltRange = 1_000_000;

    private readonly string _subject = NatsSettings.SubjectPrefix + edgeId;
    private readonly Lock _gate = new();
    private long _number; // the last number handed out
    private long _published;
    private InDoubt? _inDoubt;
    private volatile bool _announcementInDoubt; // _inDoubt is an announcement: read without the gate
    private volatile string? _said;
    private long _life; // 0 until this life's claim (its first frame) landed
    private ulong? _end; // the stream sequence of this edge's last frame, as this life knows it (null: unknown, read it)
    private volatile bool _superseded;

    /// <summary>
    /// This edge's life (a restarted edge numbers its frames from 1 again): its start, Unix ms, × 10⁶, plus a random
    /// salt. Only its difference from the previous life's matters (the frames' ids, the root's <c>FrameOrder</c>), not
    /// its order: a clock set back gives a smaller one. The salt keeps two lives apart whose clocks read the same
    /// millisecond at their starts (a clock set back by exactly the time between them): with the start alone, the new
    /// life's frames had the previous life's ids and JetStream's duplicate window dropped them, PubAck'd (the tree
    /// simulator found it: acknowledged values lost).
    /// </summary>
    public long Incarnation { get; } = incarnation ?? IncarnationAt(DateTimeOffset.UtcNow, Random.Shared.Next(SaltRange));

    /// <summary>
    /// This life's number: one more than the life of the last frame on the edge's subject when it published its first
    /// frame (on a subject with no frame left, one more than the stream's last sequence: <see cref="LastFrame.NextLife"/>;
    /// it was 1, below the lives a root up meanwhile had seen, whose frames it then took as behind); 0 until then. Every frame is published only if the subject's last frame is still the one this life knows
    /// (JetStream's <c>Nats-Expected-Last-Subject-Sequence</c>: the previous frame's PubAck, or the end read after a
    /// failure), so a killed life's publish still on its way is refused once any other frame of the edge landed after
    /// its own: the subject's last frame is always of its newest life, and lives are numbered in the order they entered
    /// the stream, whatever the edge's clock or host (no local state). The root orders lives by it.
    /// </summary>
    public long Life => Interlocked.Read(ref _life);

    /// <summary>
    /// True once another process claimed a life of this edge after this one's (a second edge started with the same
    /// <c>--edge-id</c>, or this one thought dead and replaced, then resumed): this life publishes nothing more (every
    /// publish throws <see cref="EdgeSupersededException"/>) and must stop. Its frames would land under its smaller life,
    /// after the newer life's, and the root takes them as behind (values late) though their PubAcks acknowledged them.
    /// </summary>
    public bool Superseded => _superseded;

    /// <summary>The incarnation of a life started at <paramref name="start"/> with <paramref name="salt"/> (in [0, <see cref="SaltRange"/>)).</summary>
    public static long IncarnationAt(DateTimeOffset start, int salt) => (start.ToUnixTimeMilliseconds() * SaltRange) + salt;

    /// <summary>Frames published (PubAck received) so far.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>
    /// What the root was last told of this edge: <see cref="Frame.Active"/> (an announcement, or any frame of values),
    /// <see cref="Frame.Idle"/>, or nothing yet. A frame in doubt counts once it is published.
    /// </summary>
    public string? Said => _said;

    /// <summary>
    /// True while nothing was handed to JetStream since the start: the root knows nothing of this life, so there is
    /// nothing to say idle about (a restarted edge's idle frame before its first connection would end the root's hold
    /// for its previous life's clients).
    /// </summary>
    public bool Silent => Interlocked.Read(ref _number) == 0;

    /// <summary>
    /// True when the root surely holds its output for this edge: the last thing JetStream acknowledged was that it is
    /// active (or a frame of values), and no announcement is in doubt since (an idle frame that may have landed).
    /// </summary>
    public bool HeldByRoot => _said == Frame.Active && !_announcementInDoubt;

    /// <summary>
    /// Publishes a frame of values (<see cref="Frame.Ordered"/> or <see cref="Frame.Late"/>) after the frame in doubt,
    /// if any; <paramref name="published"/> runs once its PubAck is in (on this thread, also when a later call
    /// republishes it). Called by the edge's writer only.
    /// </summary>
    /// <exception cref="IOException">JetStream did not take it (or the frame in doubt before it): now in doubt.</exception>
    public void Publish(string kind, byte[] payload, Action published)
    {
        lock (_gate)
        {
            FlushLocked();
            Send(new InDoubt(kind, Interlocked.Increment(ref _number), payload, published));
        }
    }

    /// <summary>Republishes the frame in doubt, if any. Called by the edge's writer before it retries a write.</summary>
    /// <exception cref="IOException">JetStream still did not take it.</exception>
    public void Flush()
    {
        lock (_gate)
        {
            FlushLocked();
        }
    }

    /// <summary>
    /// Announces <paramref name="state"/> (<see cref="Frame.Idle"/> or <see cref="Frame.Active"/>) unless the root was
    /// told so last. Returns false when not announced now: a frame of values is in doubt (it goes first, from its
    /// writer), the gate is busy and <paramref name="wait"/> is false, or JetStream did not take it (then it is in
    /// doubt, republished before anything later), or <paramref name="stillSo"/>, asked again under the gate (after any
    /// frame another thread was publishing), says the edge is no longer in that state.
    /// </summary>
    public bool TryAnnounce(string state, bool wait, Func<bool>? stillSo = null)
    {
        if (_said == state && !_announcementInDoubt)
        {
            return true; // said, and nothing said since that may have landed (an announcement in doubt)
        }

        if (wait)
        {
            _gate.Enter();
        }
        else if (!_gate.TryEnter())
        {
            return false;
        }

        try
        {
            if (_inDoubt is { IsValues: true })
            {
                return false;
            }

            FlushLocked();
            if (_said != state && (stillSo?.Invoke() ?? true))
            {
                Send(new InDoubt(state, Interlocked.Increment(ref _number), [], null));
            }

            return true;
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            _gate.Exit();
        }
    }

    private void FlushLocked()
    {
        if (_inDoubt is { } doubt)
        {
            Send(doubt);
        }
    }

    /// <summary>Publishes <paramref name="frame"/> and waits for its PubAck; until then (and after a failure) it is in doubt.</summary>
    private void Send(InDoubt frame)
    {
        _inDoubt = frame;
        _announcementInDoubt = !frame.IsValues;
        var id = $"{edgeId}-{Incarnation}-{frame.Number}";
        var life = _life;
        var landed = false;
        if (_superseded)
        {
            throw new EdgeSupersededException(edgeId, life);
        }

        if (_end is not { } end)
        {
            // After the start or a failure: read the subject's end. This very frame there: it landed, its PubAck lost.
            var last = Await(publisher.LastAsync(_subject), id);
            var mine = last.Incarnation == Incarnation;
            if (!mine && life != 0 && last.Life >= life)
            {
                // Another life claimed after this one's (a stream that lost its end shows an older life's frame instead).
                _superseded = true;
                throw new EdgeSupersededException(edgeId, life);
            }

            landed = mine && last.Number == frame.Number;
            life = mine ? last.Life : life == 0 ? last.NextLife : life;
            end = last.Sequence;
        }

        if (!landed)
        {
            _end = null; // until JetStream answers
            end = Await(publisher.PublishAsync(_subject, frame.Payload, id, Frame.Headers(edgeId, frame.Kind, life, Incarnation, frame.Number), end), id);
        }

        _end = end;
        Interlocked.Exchange(ref _life, life);

        _inDoubt = null;
        _announcementInDoubt = false;
        Interlocked.Increment(ref _published);
        _said = frame.Kind is Frame.Idle or Frame.Active ? frame.Kind : frame.Kind == Frame.Ordered ? Frame.Active : _said;
        frame.Published?.Invoke();
    }

    /// <summary>Waits for <paramref name="task"/> (JetStream's answer about frame <paramref name="id"/>) until the publish timeout.</summary>
    private T Await<T>(Task<T> task, string id)
    {
        Await((Task)task, id);
        return task.Result;
    }

    private void Await(Task task, string id)
    {
        try
        {
            if (!task.Wait(publishTimeout))
            {
                throw new IOException($"JetStream did not answer about frame {id} within {publishTimeout.TotalSeconds:0.#} s.");
            }
        }
        catch (AggregateException ex) when (ex.InnerException is { } inner)
        {
            throw inner as IOException ?? new IOException($"Publishing frame {id} to JetStream failed: {inner.Message}", inner);
        }
    }

    private sealed record InDoubt(string Kind, long Number, byte[] Payload, Action? Published)
    {
        public bool IsValues => Kind is Frame.Ordered or Frame.Late;
    }
}
