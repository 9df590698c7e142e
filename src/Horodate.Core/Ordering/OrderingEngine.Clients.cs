namespace Horodate.Core.Ordering;

/// <summary>Named (acknowledged) clients: their resends recognised, their journal marks collected.</summary>
public sealed partial class OrderingEngine
{
    /// <summary>Named clients that sent values no collected mark covers yet (keep-duplicates mode only).</summary>
    private readonly List<ClientState> _touched = [];

    /// <summary>Whether some named client sent values that no mark handed out by <see cref="CollectClientMarks"/> covers yet.</summary>
    public bool ClientMarksPending => _touched.Count != 0;

    /// <summary>
    /// Whether <paramref name="value"/>, from the connection <paramref name="state"/> of the named client
    /// <paramref name="client"/>, is a resend of a value already taken; if not, the client's mark takes it. A
    /// reconnected client first resends, in order, what it had not had acknowledged: the values its mark covers
    /// are a prefix of the connection's stream. The first value the mark does not cover ends that prefix, so that
    /// a value the client repeats later on the live connection is a new copy (stored again with keep-duplicates),
    /// not a resend. (Whatever still arrives on an older connection of the client once a newer one said hello, bytes
    /// the server had not read yet, never gets here: <see cref="Ingest(int, ReadOnlySpan{long}, EngineTime)"/> drops
    /// it, and the client resends everything it had not had acknowledged on the newer one, in order.)
    /// </summary>
    private bool IsResend(ref SourceState state, ClientState client, long value)
    {
        if (state.Resending)
        {
            if (client.Mark.Covers(value, state.ResentCopies))
            {
                if (value == client.Mark.Through)
                {
                    state.ResentCopies++;
                }

                return true;
            }

            state.Resending = false;
        }

        var mark = client.Mark;
        client.Mark = value > mark.Through ? new ClientMark(value, 1)
            : value == mark.Through && mark.Copies != ClientMark.AllCopies ? mark with { Copies = mark.Copies + 1 }
            : mark; // a lower value (not ascending): the mark cannot say more
        if (!_options.Dedupe && !client.Touched)
        {
            client.Touched = true;
            _touched.Add(client);
        }

        return false;
    }

    /// <summary>
    /// Adds to <paramref name="into"/>, for every named client that sent values since its last collected mark,
    /// the mark the files will hold once the output taken so far is written and synced; a client whose values
    /// are all covered leaves the pending set. Call right after <see cref="Advance(EngineTime)"/>, when its output
    /// was taken for writing (keep-duplicates mode: the journal's marks).
    /// </summary>
    /// <remarks>
    /// The durable bound: let R (with its copies) be the client's mark and F the <see cref="Floor"/>. Every value
    /// below F was emitted (to the ordered output or to <c>.late</c>) or decided (rejected as future, dropped as
    /// a resend) by the time the output was taken; a value at or above F may still be buffered. The client's
    /// values never decrease on a connection, so each value it sent up to R was received (R and its copies
    /// included). Hence every value of the client ≤ min(R, F − 1) is in the output taken, durable once it is
    /// written and synced: the mark is <c>min(R, F − 1)</c>, with R's copies when R &lt; F, and every copy of
    /// F − 1 otherwise (the client had sent R ≥ F after them). Connected or not: a client whose connection dropped
    /// still has values in the files that it will resend.
    /// </remarks>
    public void CollectClientMarks(List<KeyValuePair<string, ClientMark>> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        for (var i = _touched.Count - 1; i >= 0; i--)
        {
            var client = _touched[i];
            var mark = client.Mark;
            var covered = mark.Through < _floor;
            var durable = covered ? mark : new ClientMark(_floor - 1, ClientMark.AllCopies);
            if (durable.Through >= 0)
            {
                into.Add(new(client.Id, durable));
            }

            if (covered)
            {
                client.Touched = false;
                _touched[i] = _touched[^1];
                _touched.RemoveAt(_touched.Count - 1);
            }
        }
    }

    /// <summary>
    /// Ties <paramref name="source"/> to the acknowledged client named <paramref name="clientId"/> (nothing happens
    /// without a name): values of that name at or below what this run already received from it (on any
    /// connection) are resends, dropped and counted.
    /// </summary>
    public void Identify(int source, string? clientId)
    {
        ref var state = ref GetOpenSource(source);
        if (clientId is null)
        {
            return;
        }

        if (!_clients.TryGetValue(clientId, out var client))
        {
            if (_clients.Count >= MaxClients)
            {
                _clients.Clear(); // bounded memory: forgetting only weakens resend detection
            }

            client = new ClientState(clientId);
            _clients.Add(clientId, client);
        }

        state.Client = client;
        if (state.Opened < client.SourceOpened)
        {
            // A hello read late from a connection older than the client's newest (the server read the newer one's
            // first): the client has left it and resends on the newer one, so what it carries is dropped as resends.
            return;
        }

        client.Source = source; // the newest connection of the client: an older one's values are resends from now on
        client.SourceOpened = state.Opened;
        state.Resending = true; // until its first value that the client's mark does not cover
        state.ResentCopies = 0;
    }

    /// <summary>
    /// Remembers, from a journal, that the files already hold the values of client <paramref name="clientId"/>
    /// that <paramref name="stored"/> covers: its resends of them are recognised after a restart.
    /// </summary>
    public void RememberClient(string clientId, ClientMark stored)
    {
        if (!_clients.TryGetValue(clientId, out var client))
        {
            client = new ClientState(clientId);
            _clients.Add(clientId, client);
        }

        client.Mark = ClientMark.Max(client.Mark, stored);
    }

    /// <summary>
    /// Clients named in hellos, at most this many remembered (64 B each: 64 MiB at most); the journal of
    /// keep-duplicates mode restores no more than this many either.
    /// </summary>
    internal const int MaxClients = 1 << 20;

    private readonly Dictionary<string, ClientState> _clients = new(StringComparer.Ordinal);

    private sealed class ClientState(string id)
    {
        public readonly string Id = id;

        /// <summary>What this run (or the journal) took from the client, on any connection.</summary>
        public ClientMark Mark = ClientMark.None;

        /// <summary>In <see cref="_touched"/>: it sent values that no collected journal mark covers yet.</summary>
        public bool Touched;

        /// <summary>The source of the client's newest connection.</summary>
        public int Source = None;

        /// <summary>When that connection opened (<see cref="SourceState.Opened"/>): a hello from an older one is stale.</summary>
        public long SourceOpened;
    }
}
