namespace Horodate.Server.Sinks.JetStream;

/// <summary>
/// When an edge tells the root it became active (a connection opened: the root holds its output for this edge from
/// then on, before the connection's first values are final here and published) or idle (no connection left and every
/// value received published: the root stops waiting for this edge at once instead of after its idle timeout). Both go
/// through the edge's one <see cref="FrameSequence"/>. The idle announcement is made by the writer after a flush step
/// that wrote everything it took, so it follows the frames of every value the edge received; a connection opened
/// since is seen under the sequence's gate and cancels it. The active one is made promptly from a short check
/// (<see cref="Check"/>): it only has to come before the new connection's values, which wait for the writer. An edge
/// that has said nothing since its start says nothing idle either (<see cref="FrameSequence.Silent"/>).
/// </summary>
/// <param name="frames">The edge's frames.</param>
/// <param name="status">The edge's open connections and values not yet final (a consistent snapshot).</param>
/// <param name="greeting">The acknowledged clients waiting for the root's hold before their <c>OK</c>, if any.</param>
internal sealed class EdgeAnnouncer(FrameSequence frames, Func<(int OpenSources, long BufferedValues)> status, EdgeGreeting? greeting = null)
{
    /// <summary>
    /// The short check: announces active if a connection is open. Returns true when the edge may have become idle and
    /// the writer should run a flush step (<see cref="Flushed"/>) to say so.
    /// </summary>
    public bool Check()
    {
        if (status().OpenSources > 0)
        {
            if (frames.TryAnnounce(Frame.Active, wait: false, () => status().OpenSources > 0))
            {
                greeting?.Release(); // the active frame's PubAck is in: the clients waiting for it get their OK
            }

            return false;
        }

        return frames.Said != Frame.Idle && !frames.Silent;
    }

    /// <summary>On the writer thread, after a flush step that wrote (published) everything it took.</summary>
    public void Flushed()
    {
        if (frames.Said != Frame.Idle && !frames.Silent && IsIdle())
        {
            _ = frames.TryAnnounce(Frame.Idle, wait: true, IsIdle);
        }
    }

    private bool IsIdle()
    {
        var (open, buffered) = status();
        return open == 0 && buffered == 0;
    }
}
