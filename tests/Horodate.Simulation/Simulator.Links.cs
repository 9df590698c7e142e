namespace Horodate.Simulation;

/// <content>
/// A slow link between a client and the server (a congested or narrow path, a peer behind a slow proxy): for a while the
/// server reads that client's connections a line now and then, so a reconnected client's resend of its backlog, through
/// its send buffer, outlasts the idle timeout (the class of seed 2451: the connection's next values must still land in
/// order). Drawn from its own stream, so that the other faults' schedules stay what their seeds always gave.
/// </content>
internal sealed partial class Simulator
{
    private SimRandom? _links;
    private int _slowLinkPerMille = -1;

    private SimRandom Links => _links ??= new SimRandom(_seed ^ 0x5104_11E5UL);

    /// <summary>Per step, per mille: none in half the schedules, else a slow link every 200 steps or so.</summary>
    private int SlowLinkPerMille => _slowLinkPerMille >= 0 ? _slowLinkPerMille : _slowLinkPerMille = Links.Chance(500) ? 5 : 0;

    /// <summary>Schedules with at least one slow link (a coverage measure).</summary>
    public int SlowLinks { get; private set; }

    /// <summary>A client's link turns slow for 50 ms to 1.5 s (beyond the idle timeout and the max-delay), scaled.</summary>
    private void SlowDownALink()
    {
        if (!Links.Chance(SlowLinkPerMille))
        {
            return;
        }

        var client = _clients[Links.Next(_clients.Count)];
        client.SlowUntilMs = _clock.MonoMs + 50 + Links.Next(1_451);
        SlowLinks++;
        Note($"{client.Id}: slow link until {client.SlowUntilMs}");
    }

    /// <summary>
    /// Over a slow link the server reads one line, now and then (one read in four), instead of <paramref name="take"/>;
    /// but a line at least every <see cref="SlowLinkGapMs"/>.
    /// </summary>
    /// <returns>False when it reads nothing this time.</returns>
    private bool ReadsOverLink(SimClient client, ref int take)
    {
        if (_clock.MonoMs >= client.SlowUntilMs)
        {
            return true;
        }

        take = 1;
        if (_clock.MonoMs - client.LastSlowReadMs < SlowLinkGapMs && !Links.Chance(250))
        {
            return false;
        }

        client.LastSlowReadMs = _clock.MonoMs;
        return true;
    }

    /// <summary>
    /// The longest a slow link delivers nothing while its client sends: under the idle timeout (100 ms, scaled). A link
    /// silent for longer makes the connection idle, which by the rules stops holding the write point: a slow link is a
    /// connection that lags (its values older than the max-delay's bound may be late), not one that falls silent.
    /// </summary>
    private const long SlowLinkGapMs = 40;
}
