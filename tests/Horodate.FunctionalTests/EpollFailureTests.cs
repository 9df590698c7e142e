using System.Runtime.InteropServices;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;
using Horodate.Server.Transport.Epoll;
using Microsoft.Extensions.Logging;

namespace Horodate.FunctionalTests;

/// <summary>The epoll transport when its own epoll set breaks: no connection can be read any more.</summary>
public sealed partial class EpollFailureTests
{
    [Fact]
    public async Task A_failed_epoll_wait_is_a_critical_error_that_stops_the_server_after_handing_over_what_it_read()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = TransportKind.Epoll });
        var t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var peer = await RawPeer.ConnectAsync(harness.Endpoint);
        await peer.SendAsync($"{t}\n{t + 1}\n");
        var deadline = DateTime.UtcNow + Within.Short;
        while (harness.Server.Summary.Received < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the values were never read");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        // Put a plain file where the epoll set was: the next epoll_wait fails with EINVAL.
        using var notEpoll = File.Open(dir.File("not-epoll"), FileMode.Create);
        var epoll = ((EpollTransport)harness.Server.TransportInstance).EpollDescriptor;
        Assert.Equal(epoll, Dup2((int)notEpoll.SafeFileHandle.DangerousGetHandle(), epoll));

        var failed = new TaskCompletionSource();
        using (harness.Server.Failing.Register(() => failed.TrySetResult()))
        {
            await failed.Task.WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        }

        Assert.True(harness.Server.Failed);
        Assert.Contains(harness.Logs.Messages, m => m.Level == LogLevel.Critical && m.Id.Id == 301);
        await harness.StopAsync();
        Assert.Equal([t, t + 1], harness.ReadOutput());
    }

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int oldFd, int newFd);
}
