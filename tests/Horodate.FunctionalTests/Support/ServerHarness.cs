using System.Net;
using Horodate.Core.Storage;
using Horodate.Server.Hosting;
using Horodate.Server.Status;
using Microsoft.Extensions.Logging;

namespace Horodate.FunctionalTests.Support;

/// <summary>An in-process server on 127.0.0.1, port 0, writing into a test directory.</summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private ServerHarness(HorodateServer server, ServerOptions options, CapturingLoggerProvider logs)
    {
        Server = server;
        Options = options;
        Logs = logs;
    }

    public HorodateServer Server { get; }

    public ServerOptions Options { get; }

    public CapturingLoggerProvider Logs { get; }

    public IPEndPoint Endpoint => Server.Endpoints[0];

    public string Output => Options.Output;

    /// <summary>Adds the <c>--http</c> endpoint on 127.0.0.1, port 0: <c>StartAsync(dir, ServerHarness.WithHttp)</c>.</summary>
    public static ServerOptions WithHttp(ServerOptions options) => options with { Http = new IPEndPoint(IPAddress.Loopback, 0) };

    /// <summary>A client of the <c>--http</c> endpoint, each request bounded by <see cref="Within.Short"/>.</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = new Uri($"http://{Server.HttpEndpoint}"), Timeout = Within.Short };

    public static async Task<ServerHarness> StartAsync(TempDirectory dir, Func<ServerOptions, ServerOptions>? configure = null, string output = "out.txt")
    {
        var options = new ServerOptions
        {
            Listen = [new IPEndPoint(IPAddress.Loopback, 0)],
            Output = dir.File(output),
            StatusInterval = TimeSpan.Zero,
        };
        options = configure?.Invoke(options) ?? options;
        var logs = new CapturingLoggerProvider();
        var server = await HorodateServer.StartAsync(options, TextWriter.Null, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddProvider(logs);
        }).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        return new ServerHarness(server, options, logs);
    }

    public Task<ServerSummary> StopAsync() => Server.StopAsync().WaitAsync(Within.Short);

    public long[] ReadOutput() => new TimestampReader(Output).ReadAll().ToArray();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync().AsTask().WaitAsync(Within.Short);
}
