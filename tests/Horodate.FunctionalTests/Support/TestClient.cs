using Horodate.Client.Load;
using Horodate.Client.Status;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Horodate.FunctionalTests.Support;

/// <summary>
/// The in-process load client as the tests run it: against 127.0.0.1 (or a harness's endpoint), with no status line
/// (a test reads the summary), the whole run bounded by <see cref="Within.Long"/>. One place for what every test
/// that runs a client by hand would otherwise write again.
/// </summary>
internal static class TestClient
{
    /// <summary>
    /// <paramref name="connections"/> connections to 127.0.0.1:<paramref name="port"/>, no status line, every other
    /// option its default; a test adds what it is about with <c>with { ... }</c>.
    /// </summary>
    public static ClientOptions Options(int port, int connections) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        Connections = connections,
        StatusInterval = TimeSpan.Zero,
    };

    /// <summary>The same against <paramref name="harness"/>'s endpoint.</summary>
    public static ClientOptions Options(ServerHarness harness, int connections) =>
        Options(harness.Endpoint.Port, connections) with { Host = harness.Endpoint.Address.ToString() };

    /// <summary>
    /// Runs a client until its duration is over (or the test is cancelled); its summary, or a
    /// <see cref="TimeoutException"/> after <see cref="Within.Long"/>.
    /// </summary>
    public static Task<ClientSummary> RunAsync(ClientOptions options, ILogger? logger = null) =>
        RunUntilStoppedAsync(options, TestContext.Current.CancellationToken, logger);

    /// <summary>
    /// Runs a client until its duration is over or <paramref name="stop"/> fires (a token linked to the test's); its
    /// summary, or a <see cref="TimeoutException"/> after <see cref="Within.Long"/>.
    /// </summary>
    public static Task<ClientSummary> RunUntilStoppedAsync(ClientOptions options, CancellationToken stop, ILogger? logger = null) =>
        LoadClient.RunAsync(options, null, logger ?? NullLogger.Instance, stop).WaitAsync(Within.Long, TestContext.Current.CancellationToken);

    /// <summary>The suite's usual load: 50 acknowledged connections against <paramref name="harness"/> for <paramref name="duration"/>.</summary>
    public static Task<ClientSummary> RunFiftyAsync(ServerHarness harness, bool aligned, string? record, TimeSpan duration) =>
        RunAsync(Options(harness, 50) with { Aligned = aligned, RecordPath = record, Duration = duration });

    /// <summary>
    /// 50 acknowledged connections against <paramref name="harness"/> until <paramref name="stop"/> fires, however slow
    /// the machine: for tests that watch the server while a client runs.
    /// </summary>
    public static Task<ClientSummary> RunFiftyUntilStoppedAsync(ServerHarness harness, CancellationToken stop) =>
        RunUntilStoppedAsync(Options(harness, 50), stop);
}
