using System.Net;
using Horodate.Core.Diagnostics;
using Horodate.Server.Logging;
using Horodate.Server.Status;
using Horodate.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Transport;

/// <summary>
/// Decides, for both transports alike, whether a new connection may stay: its address must be allowed
/// and the server must be under its connection limit. Refusals are counted and logged at a bounded rate;
/// accepting goes on for everyone else.
/// </summary>
internal sealed class Admission(ServerOptions options, ServerCounters counters, ILogger logger)
{
    private readonly RateLimiter _refusedLog = new(TimeSpan.FromSeconds(5));
    private readonly RateLimiter _idleLog = new(TimeSpan.FromSeconds(5));

    /// <summary>True if the connection from <paramref name="remote"/> may stay; otherwise it was counted and logged.</summary>
    public bool TryAdmit(EndPoint? remote)
    {
        string? reason = null;
        if (options.Allow.Count > 0 && (remote is not IPEndPoint ip || !IsAllowed(ip.Address)))
        {
            reason = "its address is not in --allow";
        }
        else if (counters.Open >= options.MaxConnections)
        {
            reason = $"the server holds its maximum of {options.MaxConnections} connections";
        }

        if (reason is null)
        {
            return true;
        }

        counters.ConnectionRefused();
        if (_refusedLog.TryAcquire(out var suppressed))
        {
            ServerLog.ConnectionRefused(logger, remote?.ToString(), reason, suppressed);
        }

        return false;
    }

    /// <summary>Counts and logs a connection closed for silence.</summary>
    public void ClosingIdle(string connectionId, string? remote)
    {
        counters.ConnectionIdle();
        if (_idleLog.TryAcquire(out var suppressed))
        {
            ServerLog.ClosingIdle(logger, connectionId, remote, options.ReadTimeout.TotalSeconds, suppressed);
        }
    }

    private bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in options.Allow)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
