namespace Horodate.FunctionalTests.Support;

/// <summary>Time bounds for every await in the functional tests: generous, so a slow CI machine does not flake.</summary>
internal static class Within
{
    /// <summary>For anything that should take well under a second.</summary>
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    /// <summary>For a whole run of a client or a process.</summary>
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> PollAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            while (!condition())
            {
                await timer.WaitForNextTickAsync(cts.Token);
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return condition();
        }
    }
}
