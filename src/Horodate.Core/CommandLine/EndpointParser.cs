using System.Globalization;
using System.Net;

namespace Horodate.Core.CommandLine;

/// <summary>Parses <c>host:port</c> as the command lines spell it: <c>127.0.0.1:7890</c>, <c>[::1]:7890</c>, <c>localhost:7890</c>.</summary>
public static class EndpointParser
{
    /// <summary>Splits <paramref name="text"/> into a host (brackets removed) and a port (0 to 65535).</summary>
    public static bool TryParse(string? text, out string host, out int port, out string error)
    {
        host = "";
        port = 0;
        var s = text?.Trim() ?? "";
        var colon = s.LastIndexOf(':');
        if (colon <= 0 || colon == s.Length - 1)
        {
            error = $"'{text}' is not host:port (e.g. 127.0.0.1:7890, [::1]:7890, localhost:7890).";
            return false;
        }

        host = s[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            error = $"'{text}': write an IPv6 address in brackets, e.g. [::1]:7890.";
            return false;
        }

        if (!int.TryParse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            error = $"'{text}': the port must be a number from 0 to 65535.";
            return false;
        }

        error = "";
        return host.Length > 0;
    }

    /// <summary>
    /// Parses an address to listen on: an IP literal, or <c>localhost</c> (the IPv4 loopback). Names are not
    /// resolved: a server should bind what it is told, not what a resolver answers.
    /// </summary>
    public static bool TryParseListen(string? text, out IPEndPoint endpoint, out string error)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (!TryParse(text, out var host, out var port, out error))
        {
            return false;
        }

        IPAddress? address = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : null;
        if (address is null && !IPAddress.TryParse(host, out address))
        {
            error = $"'{text}': listen on an IP address (127.0.0.1, 0.0.0.0, [::1], [::]) or localhost.";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

}
