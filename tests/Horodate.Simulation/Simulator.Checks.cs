using System.Globalization;
using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Protocol;
using Horodate.Core.Storage;

namespace Horodate.Simulation;

/// <content>The checks: the main file after every step, and every promise at each crash, stop and end.</content>
internal sealed partial class Simulator
{
    /// <summary>The main file as it is now: whole ascending lines (strictly in dedupe mode), checked incrementally.</summary>
    private string? CheckMain()
    {
        var content = _files.Content(Output);
        if (content.Length < _verifiedMain)
        {
            _verifiedMain = 0;
        }

        var last = _verifiedMain == 0 ? -1 : LastValueBefore(content, _verifiedMain);
        var rest = content[_verifiedMain..];
        while (true)
        {
            var newline = rest.IndexOf((byte)'\n');
            if (newline < 0)
            {
                return rest.IsEmpty ? null : $"main file: a torn line \"{Encoding.ASCII.GetString(rest)}\" while the server runs";
            }

            if (LineDecoder.Parse(rest[..newline], out var value) != LineStatus.Value)
            {
                return $"main file: a line that is not a timestamp at byte {_verifiedMain}";
            }

            if (value < last || (Dedupe && value == last))
            {
                return $"main file: {value} follows {last}";
            }

            last = value;
            _verifiedMain += newline + 1;
            rest = rest[(newline + 1)..];
        }
    }

    private static long LastValueBefore(ReadOnlySpan<byte> content, int end)
    {
        var line = content[..(end - 1)];
        var start = line.LastIndexOf((byte)'\n') + 1;
        _ = LineDecoder.Parse(line[start..], out var value);
        return value;
    }

    /// <summary>
    /// The promises, judged against the clients' own records: every acknowledged value stored exactly once
    /// (copy for copy with keep-duplicates), counting the main file and .late; no value in both; nothing
    /// stored that no client sent; in .late only values sent below the write point (or after an outage beyond the bound).
    /// </summary>
    private string? Check(bool final)
    {
        var main = Values(_files.Content(Output), out var mainTorn);
        var late = Values(_files.Content(_options.LateOutput), out _);
        if (final && mainTorn)
        {
            return "main file: a torn last line after a graceful stop";
        }

        for (var i = 1; i < main.Count; i++)
        {
            if (main[i] < main[i - 1] || (Dedupe && main[i] == main[i - 1]))
            {
                return $"main file: {main[i]} follows {main[i - 1]}";
            }
        }

        var stored = new Dictionary<long, int>();
        var inMain = new HashSet<long>(main);
        foreach (var v in main)
        {
            stored[v] = stored.GetValueOrDefault(v) + 1;
        }

        foreach (var v in late)
        {
            stored[v] = stored.GetValueOrDefault(v) + 1;
            if (Dedupe && inMain.Contains(v))
            {
                return $"{v} is in the main file and in .late";
            }
        }

        var sent = new Dictionary<long, int>();
        var acked = new Dictionary<long, int>();
        foreach (var client in _clients)
        {
            foreach (var v in client.Sent)
            {
                sent[v] = sent.GetValueOrDefault(v) + 1;
                if (client.Acknowledged && v <= client.AckedThrough)
                {
                    acked[v] = acked.GetValueOrDefault(v) + 1;
                }
            }
        }

        foreach (var (v, copies) in stored)
        {
            if (!sent.TryGetValue(v, out var sentCopies))
            {
                return $"{v} is stored but no client sent it";
            }

            if (copies > (Dedupe ? 1 : sentCopies))
            {
                return $"{v} is stored {copies} times, sent {sentCopies} times (acknowledged {acked.GetValueOrDefault(v)})";
            }
        }

        foreach (var (v, copies) in acked)
        {
            var have = stored.GetValueOrDefault(v);
            if (have < (Dedupe ? 1 : copies))
            {
                return $"{v} was acknowledged ({copies} copies) but is stored {have} times";
            }
        }

        foreach (var client in _clients)
        {
            if (client.Misbehaved is { } misbehaved)
            {
                return $"client {client.Id}: {misbehaved}";
            }

            if (client.UncoveredByFinal is { } uncovered)
            {
                return $"client {client.Id}: its final acknowledgement does not cover {uncovered}, which it sent";
            }

            if (final && client.Finished && !client.Gone && !client.FinalReceived)
            {
                return $"client {client.Id} finished sending but never had its final acknowledgement";
            }
        }

        if (late.Find(v => !_lateByRule.Contains(v) && v >= _forcedFloor) is var notLate && notLate != 0)
        {
            return $".late holds {notLate}, not late by the rules (sent above the write point, no outage outlasted {_options.Ordering.ResumeOutageMs} ms)";
        }

        return null;
    }

    private static List<long> Values(ReadOnlySpan<byte> content, out bool torn)
    {
        var values = new List<long>();
        torn = false;
        while (!content.IsEmpty)
        {
            var newline = content.IndexOf((byte)'\n');
            if (newline < 0)
            {
                torn = true;
                break;
            }

            if (LineDecoder.Parse(content[..newline], out var value) == LineStatus.Value)
            {
                values.Add(value);
            }

            content = content[(newline + 1)..];
        }

        return values;
    }
}
