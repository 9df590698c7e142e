namespace Horodate.FunctionalTests.Support;

/// <summary>Time bounds for every await in the functional tests: generous, so a slow CI machine does not flake.</summary>
internal static class Within
{
    /// <summary>For anything that should take well under a second.</summary>
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    /// <summary>
    /// For a process to start and say it is ready (<c>listening on</c>, nats-server's ready line): a few milliseconds
    /// to a second alone, but the suite runs beside the simulator's schedules and the fault harness on 2 cores, where a
    /// start (JIT, an edge's JetStream setup, a recovery) was seen to take over 10 s. The wait ends with the line.
    /// </summary>
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(45);

    /// <summary>For a whole run of a client or a process.</summary>
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static Task<bool> PollAsync(Func<bool> condition, TimeSpan timeout) => PollAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>
    /// Polls an asynchronous <paramref name="condition"/> (each call also bounded by the timeout); a cancelled test
    /// stops the polling at once.
    /// </summary>
    public static async Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var test = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(test);
        cts.CancelAfter(timeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            while (!await condition().WaitAsync(timeout, test))
            {
                await timer.WaitForNextTickAsync(cts.Token);
            }

            return true;
        }
        catch (OperationCanceledException) when (!test.IsCancellationRequested)
        {
            return await condition().WaitAsync(timeout, test);
        }
    }
}
