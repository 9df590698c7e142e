using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Storage;

namespace Horodate.Core.Tests.Storage;

/// <summary>
/// Issue 10, review finding 3: the journal no longer grows without bound while the server runs (rewritten as one
/// record once it has grown enough), and it is read back as a stream.
/// </summary>
public sealed class ClientJournalRotationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("horodate-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ClientMark Mark(long through) => new(through, 1);

    [Fact]
    public void A_running_journal_is_rewritten_as_one_record_once_it_has_grown_and_keeps_the_whole_state()
    {
        const long rotateBytes = 1024;
        var path = Path.Combine(_dir, "out.txt.clients");
        var largest = 0L;
        using (var journal = ClientJournal.Create(PhysicalFileSystem.Instance, path, new ClientJournal.State(0, 0, false, new Dictionary<string, ClientMark>()), rotateBytes))
        {
            for (var sync = 1; sync <= 500; sync++)
            {
                // Five clients, each marked every fifth sync; "gone" once only, at the start.
                var moved = new List<KeyValuePair<string, ClientMark>> { new($"c{sync % 5}", Mark(sync)) };
                if (sync == 1)
                {
                    moved.Add(new("gone", Mark(7)));
                }

                journal.Append(sync * 100L, sync, acknowledging: sync % 2 == 0, moved);
                largest = Math.Max(largest, new FileInfo(path).Length);
            }
        }

        Assert.InRange(largest, 1, 2 * rotateBytes); // unrotated, 500 records take ~12 KB
        Assert.False(File.Exists(path + ".tmp"));
        var state = ClientJournal.Recover(path, long.MaxValue, long.MaxValue)!;
        Assert.Equal((50_000L, 500L, true), (state.MainLength, state.LateLength, state.Acknowledging));
        Assert.Equal(
            new Dictionary<string, ClientMark> { ["c0"] = Mark(500), ["c1"] = Mark(496), ["c2"] = Mark(497), ["c3"] = Mark(498), ["c4"] = Mark(499), ["gone"] = Mark(7) },
            state.Clients);
    }

    [Fact]
    public void A_journal_longer_than_one_read_is_read_back_across_the_chunk_boundaries()
    {
        var path = Path.Combine(_dir, "out.txt.clients");
        var text = new StringBuilder();
        for (var i = 1; i <= 5_000; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"L {i * 10} 0 1\nC client-with-a-longer-name.{i % 7} {i} 2\n.\n");
        }

        File.WriteAllText(path, text.ToString()); // ~250 KB: several 64 KiB chunks, lines split across them

        var state = ClientJournal.Recover(path, 30_000, 0)!;

        Assert.Equal(30_000, state.MainLength);
        Assert.Equal(7, state.Clients.Count);
        Assert.Equal(new ClientMark(3_000, 2), state.Clients["client-with-a-longer-name.4"]);
    }
}
