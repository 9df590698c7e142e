namespace Horodate.Torture;

/// <summary>A schedule drawn from a seed, as a run sees it: how long it takes, how to run it, how to replay it.</summary>
internal interface IFaultSchedule
{
    long Seed { get; }

    /// <summary>Its expected length, all included: the run starts no schedule that would not fit in its budget.</summary>
    TimeSpan ExpectedLength { get; }

    /// <summary>The command that runs it again.</summary>
    string Replay { get; }

    Task<ScheduleResult> RunAsync(HarnessOptions options, CancellationToken stop);
}
