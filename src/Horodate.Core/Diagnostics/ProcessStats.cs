using System.Diagnostics;

namespace Horodate.Core.Diagnostics;

/// <summary>This process's CPU time and peak memory, for summaries and benchmarks.</summary>
public static class ProcessStats
{
    /// <summary>User plus system CPU time consumed so far, in seconds.</summary>
    public static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>The peak resident set size (VmHWM on Linux), in bytes.</summary>
    public static long PeakRssBytes()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
