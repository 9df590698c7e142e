using Horodate.Core.Durability;

namespace Horodate.Simulation.Tree;

/// <summary>
/// An acknowledged client of the tree, as <c>horodate-client</c> is: it stamps a value only after its edge's OK, keeps
/// every value until acknowledged, and after losing its connection reconnects (through the balancer: to any live edge)
/// and resends what was not acknowledged, in order, before anything new. Its acknowledgements come from its edge's
/// ingest core (<see cref="IAckTarget"/>), each covering every value it sent up to the one acknowledged.
/// </summary>
internal sealed class TreeClient(int id)
{
    public int Id { get; } = id;

    public string Name => $"c{Id}";

    /// <summary>Values sent (or to resend) and not yet acknowledged, ascending.</summary>
    public List<long> Unacked { get; } = [];

    /// <summary>Every value acknowledged to this client, one entry per copy sent.</summary>
    public List<long> Acknowledged { get; } = [];

    /// <summary>The edge and its source the client is connected to, or null.</summary>
    public (SimEdge Edge, int Source)? Connection { get; set; }

    /// <summary>The connection's <c>OK</c> arrived: the client may send (resends first).</summary>
    public bool Greeted { get; set; }

    /// <summary>Connections made so far (an <c>OK</c> for an earlier one is ignored).</summary>
    public int Connections { get; set; }

    /// <summary>The connection whose resends were sent (after its <c>OK</c>).</summary>
    public int Sent { get; set; }

    /// <summary>The connection the client half-closed (done sending).</summary>
    public int HalfClosed { get; set; }

    /// <summary>When the client may try to connect again (monotonic ms).</summary>
    public long ReconnectAtMs { get; set; }

    /// <summary>Done sending: it waits for its last values to be acknowledged.</summary>
    public bool Finished { get; set; }

    /// <summary>The last value stamped (values are non-decreasing per client).</summary>
    public long LastStamped { get; set; } = long.MinValue;

    /// <summary>The target of one connection's acknowledgements.</summary>
    public IAckTarget Target() => new Acks(this);

    private void Acknowledge(long value)
    {
        var n = 0;
        while (n < Unacked.Count && Unacked[n] <= value)
        {
            n++;
        }

        Acknowledged.AddRange(Unacked.GetRange(0, n));
        Unacked.RemoveRange(0, n);
    }

    private sealed class Acks(TreeClient client) : IAckTarget
    {
        public bool TryDeliver(long value)
        {
            client.Acknowledge(value);
            return true;
        }

        public bool TryDeliverFinal(long value)
        {
            client.Acknowledge(value);
            return true;
        }
    }
}
