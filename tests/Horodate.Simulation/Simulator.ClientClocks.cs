namespace Horodate.Simulation;

/// <content>
/// An acknowledged client's own clock steps (NTP on the client's host, an operator), forward or back by up to 300 ms
/// (3 s at real scale; within MaxFuture with the server's own steps back, so nothing it sends is rejected): from the first step on, its production
/// connection is handed the clock as it reads, and its own rule keeps the values on a connection rising (a send whose
/// clock has not passed the last value is skipped and counted). Drawn from a stream of their own, so that the other
/// faults' schedules stay what their seeds always gave.
/// </content>
internal sealed partial class Simulator
{
    private SimRandom? _clientClocks;
    private int _clientStepPerMille = -1;

    private SimRandom ClientClocks => _clientClocks ??= new SimRandom(_seed ^ 0xC10C_57E9UL);

    /// <summary>
    /// Whether clients' clocks step (<c>--client-clocks</c>; off by default). With it the server's clock steps back
    /// 700 ms at most, not 900 (Simulator.Faults' StepClock): seed 67540 failed so, the value rejected as future.
    /// </summary>
    public bool ClientClocksStep { get; init; }

    /// <summary>Per step, per mille: none in half the schedules, else a step every 250 steps or so.</summary>
    private int ClientStepPerMille => !ClientClocksStep ? 0
        : _clientStepPerMille >= 0 ? _clientStepPerMille : _clientStepPerMille = ClientClocks.Chance(500) ? 4 : 0;

    /// <summary>Client clock steps taken (a coverage measure).</summary>
    public int ClientClockSteps { get; private set; }

    private void StepAClientClock()
    {
        if (!ClientClocks.Chance(ClientStepPerMille) || _clients.Find(c => c.Acknowledged && !c.Gone) is not { } client)
        {
            return;
        }

        var step = ClientClocks.Next(601) - 300;
        client.SkewMs = Math.Clamp(client.SkewMs + step, -300, 300);
        client.OwnClock = true;
        ClientClockSteps++;
        if (client.Connection is { } connection && client.LastValue <= connection.NewAbove)
        {
            // Nothing new stamped on this connection yet: its first value is stamped by the clock as it reads then.
            connection.StampsFrom = Math.Min(connection.StampsFrom, _clock.WallMs + client.SkewMs);
        }

        Note($"{client.Id}: its clock stepped {step} ms (skew {client.SkewMs})");
    }

    /// <summary>What an acknowledged client's clock reads: slewed (never back) until its first step, then as it is.</summary>
    private long ClientClock(SimClient client) =>
        client.OwnClock ? _clock.WallMs + client.SkewMs : Math.Max(client.LastValue + 1, _clock.WallMs + client.SkewMs);
}
