using Horodate.Client.Load;

namespace Horodate.Simulation;

/// <content>
/// The hello's answer: late on its way back (up to twice the client's hello timeout), or never (a plain server: the C
/// reference, <c>nc -l</c>, for the whole schedule). A client whose hello goes unanswered for its timeout, at an address
/// that never answered it, carries on in plain mode, as horodate-client's watcher decides (LoadClient.WatchAsync; the
/// decision is modelled here on the production connection's own transitions, NotePlainMode and Greeted): it keeps
/// nothing, resends nothing, does not half-close, and closes when done. Drawn from a stream of their own, so that the
/// other faults' schedules stay what their seeds always gave.
/// </content>
internal sealed partial class Simulator
{
    /// <summary>The client's hello timeout (2 s), scaled.</summary>
    private const long HelloTimeoutMs = 200;

    private SimRandom? _hellos;
    private bool? _plainServer;
    private int _answerDelayMaxMs = -1;

    private SimRandom Hellos => _hellos ??= new SimRandom(_seed ^ 0x4E11_0A45UL);

    /// <summary>One schedule in eight: the server never answers a hello (it takes it for a rejected line).</summary>
    private bool PlainServer => _plainServer ??= Hellos.Chance(125);

    /// <summary>In a quarter of the schedules, answers are delayed on their way back by up to 400 ms (scaled).</summary>
    private int AnswerDelayMaxMs => _answerDelayMaxMs >= 0 ? _answerDelayMaxMs : _answerDelayMaxMs = Hellos.Next(4) == 0 ? 400 : 0;

    /// <summary>Connections whose client took the server for a plain one (a coverage measure).</summary>
    public int PlainFallbacks { get; private set; }

    /// <summary>The server opened an acknowledged client's connection: it answers the hello (late, maybe), unless it is plain.</summary>
    private void AnswerHello(SimClient client, SimConnection connection)
    {
        client.GreetingSinceMs = client.ConnectedAtMs; // the hello went out at connect(), before the server opened it
        if (PlainServer)
        {
            return; // the hello is a rejected line to it: no answer, no acknowledgements, a plain source
        }

        connection.AnswerHello(AnswerDelayMaxMs == 0 ? 0 : Hellos.Next(AnswerDelayMaxMs + 1));
        _core!.EnableAcks(connection.Source, HelloId(client), connection);
    }

    /// <summary>
    /// With <see cref="SharedIds"/> (not in the default search: README, not promised), the second client presents the
    /// first one's id, as two clients misconfigured with one id would: two live connections under one id.
    /// </summary>
    public bool SharedIds { get; init; }

    private string HelloId(SimClient client) => SharedIds && client.Index == 1 && _clients[0].Acknowledged ? _clients[0].Id : client.Id;

    /// <summary>
    /// The watcher's decision: a hello unanswered for <see cref="HelloTimeoutMs"/> since the connect, at an address that
    /// never answered this client, is a plain server's: the connection sends without an answer, in plain mode.
    /// </summary>
    private void TimeOutHello(SimClient client)
    {
        var production = client.Production!;
        if (production.State != ConnectionState.Greeting || production.Mode != ServerMode.Unknown || client.AddressAnswered
            || client.Attached is not { } connection || _clock.MonoMs - client.GreetingSinceMs < HelloTimeoutMs)
        {
            return;
        }

        if (production.NotePlainMode())
        {
            PlainFallbacks++;
            Note($"{client.Id}: no answer to its hello in {HelloTimeoutMs} ms: plain mode");
        }

        production.Greeted(connection.Generation);
    }

    /// <summary>A client in plain mode that finished closes its connection once all it sent was read: nothing to wait for.</summary>
    private void CloseWhenPlainAndDone(SimClient client)
    {
        if (client is { Finished: true, Production.Mode: ServerMode.Plain, Connection: { ClientShutdown: true, InFlight.Count: 0 } done })
        {
            client.FinalReceived = true; // done: as horodate-client's stop, which waits for no acknowledgement from a plain server
            client.Production.TakeDown();
            client.Attached = null;
            Disconnect(done, closeSource: true);
            Note($"{client.Id} (plain mode) closed its connection");
        }
    }
}
