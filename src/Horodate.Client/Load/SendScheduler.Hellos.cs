namespace Horodate.Client.Load;

/// <summary>
/// The hellos of the thread's plain sockets on Linux: read in its epoll set from the connect on (no asynchronous
/// reader per connection), the answer noted by <see cref="ServerLines"/>; the thread tells the client when a hello is
/// answered (the address acknowledges) and when one went unanswered past its deadline (a plain server?). The client
/// decides what either means (<c>LoadClient.Watch.cs</c>), for these sockets and for those its watchers read.
/// </summary>
internal sealed partial class SendScheduler
{
    // Hellos awaited, in the order handed over: their deadlines (a constant timeout after each hello) are nearly sorted,
    // so the oldest is the next due; one handed over a few microseconds out of order is seen as late by as much.
    private Queue<HandOver>? _helloDeadlines;

    /// <summary>On this thread, when the server answered a connection's hello: it acknowledges.</summary>
    public Action<ClientConnection>? HelloAnswered { get; set; }

    /// <summary>On this thread, when socket <c>generation</c>'s hello had no answer by its deadline (the socket is still the connection's).</summary>
    public Action<ClientConnection, int>? HelloUnanswered { get; set; }

    private void ExpireHellos(long now)
    {
        while (_helloDeadlines is { Count: > 0 } deadlines && deadlines.Peek().HelloDeadline <= now)
        {
            var (connection, generation, _, _) = deadlines.Dequeue();
            if (connection.Mode == ServerMode.Unknown && connection.Generation == generation && connection.State == ConnectionState.Greeting)
            {
                HelloUnanswered?.Invoke(connection, generation);
            }
        }
    }
}
