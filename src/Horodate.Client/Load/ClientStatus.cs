namespace Horodate.Client.Load;

/// <summary>What a running client reports every status interval (the live panel, or a plain line).</summary>
/// <param name="Up">Connections up now.</param>
/// <param name="Connections">Connections asked for.</param>
/// <param name="Ramping">True until the connect ramp is over.</param>
/// <param name="SentPerSecond">Values sent per second since the previous report.</param>
/// <param name="Sent">Values sent so far.</param>
/// <param name="Skipped">Sends skipped so far.</param>
/// <param name="LatenessP50Ms">Median send lateness since the previous report.</param>
/// <param name="LatenessP99Ms">99th percentile send lateness since the previous report.</param>
/// <param name="Reconnects">Connections lost and brought back so far.</param>
/// <param name="Acked">Values acknowledged so far.</param>
/// <param name="Unacked">Values sent and not yet acknowledged.</param>
public sealed record ClientStatus(
    int Up, int Connections, bool Ramping, double SentPerSecond, long Sent, long Skipped,
    double LatenessP50Ms, double LatenessP99Ms, long Reconnects, long Acked, long Unacked);
