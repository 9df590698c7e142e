namespace Horodate.Torture;

/// <summary>What one schedule did and found.</summary>
internal sealed record ScheduleResult(IFaultSchedule Schedule, int FaultsInjected, IReadOnlyList<string> Violations, TimeSpan Elapsed, string Directory, bool Interrupted = false)
{
    public bool Ok => Violations.Count == 0;
}
