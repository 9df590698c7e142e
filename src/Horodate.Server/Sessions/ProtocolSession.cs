using System.Buffers;
using Horodate.Core.Protocol;
using Horodate.Server.Logging;

namespace Horodate.Server.Sessions;

/// <summary>
/// The protocol of one connection, whichever transport reads it: decoding, the hello and the acknowledged
/// mode, rejected lines (counted, logged at a bounded rate), closing for garbage or for silence, the end of
/// the client's stream, and the connection's engine source from accept to close. The transport does the I/O:
/// it reads bytes, passes them to <see cref="Decode"/>, hands the values over, and tells the session how the
/// connection ended.
/// </summary>
/// <remarks>One reader at a time: the transport calls it from the thread that reads the connection.</remarks>
internal sealed class ProtocolSession
{
    private readonly ProtocolSessions _sessions;
    private readonly LineDecoder _decoder = new();
    private IAckChannel? _acks;
    private bool _sourceOpen = true;

    internal ProtocolSession(ProtocolSessions sessions, int source, string id, string? remote)
    {
        _sessions = sessions;
        Source = source;
        Id = id;
        Remote = remote;
    }

    /// <summary>The connection's handle in the ordering engine.</summary>
    public int Source { get; }

    /// <summary>The connection's name in the logs.</summary>
    public string Id { get; }

    public string? Remote { get; }

    /// <summary>Values decoded so far.</summary>
    public long Values { get; private set; }

    /// <summary>True once the client's hello asked for acknowledgements.</summary>
    public bool Acknowledged { get; private set; }

    /// <summary>True once the peer sent too much garbage: the transport hands over what was decoded, then closes.</summary>
    public bool ClosingForGarbage => _decoder.ShouldClose;

    /// <summary>The connection is served from now on (admitted, and past any TLS handshake); acknowledgements go to <paramref name="acks"/>.</summary>
    public void Start(IAckChannel acks)
    {
        _acks = acks;
        _sessions.Counters.ConnectionAccepted();
        ServerLog.ConnectionAccepted(_sessions.Logger, Id, Remote);
    }

    /// <summary>
    /// Decodes the complete lines of <paramref name="buffer"/> into <paramref name="values"/> (slicing the buffer
    /// past them) until either is exhausted; what is left is the start of a line. A hello turns acknowledgements
    /// on before any of its values reach the engine.
    /// </summary>
    /// <returns>How many values were decoded; fewer than <paramref name="values"/> holds when the buffer ran out or the peer is being closed.</returns>
    public int Decode(ref ReadOnlySequence<byte> buffer, Span<long> values)
    {
        var rejectedBefore = _decoder.RejectedLines;
        var wasClosing = _decoder.ShouldClose;
        var count = _decoder.Decode(ref buffer, values);
        if (_decoder.AckRequested && !Acknowledged)
        {
            Acknowledged = true;
            if (_sessions.Pipeline.Greeting is { } greet)
            {
                // An edge: acknowledgements on now, the OK once the root holds for the edge (its values wait for the OK).
                _sessions.Pipeline.EnableAcks(Source, _decoder.ClientId, _acks!);
                greet(_acks!.SendOk);
            }
            else
            {
                _acks!.SendOk();
                _sessions.Pipeline.EnableAcks(Source, _decoder.ClientId, _acks);
            }
        }

        Values += count;
        ReportRejects(rejectedBefore);
        if (_decoder.ShouldClose && !wasClosing)
        {
            ServerLog.ClosingForGarbage(_sessions.Logger, Id, Remote, _decoder.LastReject, _decoder.RejectedLines);
        }

        return count;
    }

    /// <summary>
    /// The peer ended its stream (<paramref name="failure"/> is null) or the connection failed, with
    /// <paramref name="leftover"/> bytes of a line never finished: they count as a truncated line.
    /// </summary>
    /// <returns>
    /// True when the session waits for its final acknowledgement: an acknowledged client half-closed, so it has
    /// sent everything and waits for it. TCP's own end-of-stream says so (no protocol line is needed; a client
    /// that dies resets or falls silent instead). The transport hands over the values, calls <see cref="Finish"/>,
    /// and keeps the connection until the final acknowledgement went out, the read timeout passes, or the stop.
    /// </returns>
    public bool Ended(long leftover, string? failure, bool stopping)
    {
        if (failure is not null)
        {
            ServerLog.ConnectionFailed(_sessions.Logger, Id, failure);
        }

        Complete(leftover);
        return failure is null && Acknowledged && !stopping;
    }

    /// <summary>The connection stayed silent past the read timeout, with <paramref name="leftover"/> bytes of an unfinished line (slowloris).</summary>
    public void Silent(long leftover)
    {
        Complete(leftover);
        _sessions.Admission.ClosingIdle(Id, Remote);
    }

    /// <summary>
    /// After the values it sent were handed over, the client that half-closed stops holding the write point;
    /// its final acknowledgement follows once everything it sent is durable.
    /// </summary>
    public void Finish() => _sessions.Pipeline.FinishSource(Source);

    /// <summary>The connection is closed: releases its engine source (no more acknowledgements), counts and logs it.</summary>
    public void Close()
    {
        Release();
        _sessions.Counters.ConnectionClosed(forGarbage: _decoder.ShouldClose);
        ServerLog.ConnectionClosed(_sessions.Logger, Id, Values, _decoder.RejectedLines);
    }

    /// <summary>Releases the engine source of a connection never started (or already closed): nothing is counted.</summary>
    public void Release()
    {
        if (_sourceOpen)
        {
            _sourceOpen = false;
            _sessions.Pipeline.CloseSource(Source);
        }
    }

    private void Complete(long leftover)
    {
        var rejectedBefore = _decoder.RejectedLines;
        _decoder.Complete(leftover);
        ReportRejects(rejectedBefore);
    }

    private void ReportRejects(long rejectedBefore)
    {
        var rejected = _decoder.RejectedLines - rejectedBefore;
        if (rejected == 0)
        {
            return;
        }

        _sessions.Counters.LinesRejected(rejected);
        if (_sessions.RejectLog.TryAcquire(out var suppressed))
        {
            ServerLog.LineRejected(_sessions.Logger, Id, Remote, _decoder.LastReject, suppressed);
        }
    }
}
