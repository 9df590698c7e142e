using Horodate.Server.Sinks.JetStream;

namespace Horodate.Simulation.Tree;

/// <content>The invariant, judged on the root's files after its graceful stop.</content>
internal sealed partial class TreeSimulator
{
    private string? Check()
    {
        var main = Frame.Values(_files.Content(Output));
        var late = Frame.Values(_files.Content(Output + ".late")).ToHashSet();
        Note($"root's file: {main.Length} values from {main.FirstOrDefault()}; .late: {string.Join(' ', late.Order().Take(20))}");
        for (var i = 1; i < main.Length; i++)
        {
            if (main[i] < main[i - 1] || (Dedupe && main[i] == main[i - 1]))
            {
                return $"the root's file is not {(Dedupe ? "strictly " : "")}ascending at line {i + 1}: {main[i - 1]} then {main[i]}";
            }
        }

        var copies = main.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        var acknowledged = _clients.SelectMany(c => c.Acknowledged).GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (value, count) in acknowledged.OrderBy(p => p.Key))
        {
            // With --keep-duplicates a resent value already published by the edge it left is stored again (README: not
            // done yet), in .late when it arrives below the output: the check there is no fewer copies in the file.
            if (late.Contains(value) && (Dedupe || copies.GetValueOrDefault(value) < count))
            {
                return $"acknowledged value {value} is in the root's .late ({(copies.ContainsKey(value) ? "and" : "not")} in its file)";
            }

            var stored = copies.GetValueOrDefault(value);
            if (stored == 0 || (!Dedupe && stored < count))
            {
                return $"acknowledged value {value} ({count} copies) is in the root's file {stored} times";
            }
        }

        return null;
    }
}
