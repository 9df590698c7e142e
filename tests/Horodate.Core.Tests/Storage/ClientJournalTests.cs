using Horodate.Core.Ordering;
using Horodate.Core.Storage;

namespace Horodate.Core.Tests.Storage;

public sealed class ClientJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("horodate-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ClientMark All(long through) => new(through, ClientMark.AllCopies);

    [Fact]
    public void Recovers_the_last_state_that_fits_the_files_with_every_client_mark_accumulated()
    {
        var path = Path.Combine(_dir, "out.txt.clients");
        using (var journal = ClientJournal.Create(path, new ClientJournal.State(0, 0, false, new Dictionary<string, ClientMark>())))
        {
            journal.Append(100, 0, true, [new("a", All(10)), new("b", All(20))]);
            journal.Append(200, 14, true, [new("a", All(30))]);
            journal.Append(300, 14, true, [new("b", All(40))]);
        }

        var fitting = ClientJournal.Recover(path, mainLength: 250, lateLength: 14)!; // the 300 record does not fit

        Assert.Equal(200, fitting.MainLength);
        Assert.Equal(14, fitting.LateLength);
        Assert.True(fitting.Acknowledging);
        Assert.Equal(30, fitting.Clients["a"].Through);
        Assert.Equal(20, fitting.Clients["b"].Through); // b's 40 belongs to the record that does not fit
    }

    [Fact]
    public void A_record_torn_by_a_crash_is_ignored()
    {
        var path = Path.Combine(_dir, "out.txt.clients");
        using (var journal = ClientJournal.Create(path, new ClientJournal.State(0, 0, false, new Dictionary<string, ClientMark>())))
        {
            journal.Append(100, 0, true, [new("a", All(10))]);
        }

        File.AppendAllText(path, "L 200 0 1\nC a 99\n"); // no closing dot

        var state = ClientJournal.Recover(path, 1_000, 0)!;

        Assert.Equal(100, state.MainLength);
        Assert.Equal(10, state.Clients["a"].Through);
    }

    [Fact]
    public void Starting_again_rewrites_the_journal_as_one_record_holding_the_whole_state()
    {
        var path = Path.Combine(_dir, "out.txt.clients");
        var clients = new Dictionary<string, ClientMark> { ["a"] = All(10), ["b"] = new ClientMark(20, 2) };
        using (ClientJournal.Create(path, new ClientJournal.State(500, 0, false, clients)))
        {
        }

        var state = ClientJournal.Recover(path, 500, 0)!;

        Assert.False(state.Acknowledging);
        Assert.Equal(clients, state.Clients);
        Assert.Equal(3 + 1, File.ReadAllLines(path).Length); // L, two C, the dot
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void A_later_record_with_a_lower_mark_for_a_client_does_not_lower_what_the_files_are_known_to_hold()
    {
        var path = Path.Combine(_dir, "out.txt.clients");
        using (var journal = ClientJournal.Create(path, new ClientJournal.State(0, 0, false, new Dictionary<string, ClientMark>())))
        {
            journal.Append(100, 0, true, [new("a", All(50))]);
            journal.Append(200, 0, true, [new("a", All(30))]); // a reconnected: its new connection's first acknowledgement
        }

        var state = ClientJournal.Recover(path, 1_000, 0)!;

        Assert.Equal(200, state.MainLength);
        Assert.Equal(50, state.Clients["a"].Through);
    }

    [Fact]
    public void Restarts_keep_only_the_most_recently_marked_clients_up_to_the_cap_so_the_journal_stays_bounded()
    {
        const int cap = 3;
        var path = Path.Combine(_dir, "out.txt.clients");
        var length = 0L;
        for (var run = 0; run < 4; run++)
        {
            var state = ClientJournal.Recover(path, length, 0, cap) ?? new ClientJournal.State(0, 0, false, new Dictionary<string, ClientMark>());
            using var journal = ClientJournal.Create(path, state);
            for (var i = 0; i < 3; i++)
            {
                length += 10;
                journal.Append(length, 0, true, [new($"run{run}.c{i}", All(length))]);
            }

            journal.Append(length, 0, false, [new("run0.c0", All(length))]); // an old client, marked again: recent
        }

        var last = ClientJournal.Recover(path, length, 0, cap)!;

        Assert.Equal(["run0.c0", "run3.c1", "run3.c2"], last.Clients.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(length, last.Clients["run0.c0"].Through);
        using (ClientJournal.Create(path, last))
        {
        }

        Assert.Equal(1 + cap + 1, File.ReadAllLines(path).Length); // L, three C, the dot: no more after any number of restarts
    }

    [Theory]
    [InlineData("my notes\nsomething\n", "line 1 is \"my notes\"")]
    [InlineData("L 100 0 1\nC a 10\n.\nhello\n", "line 4 is \"hello\"")]
    [InlineData("L 100 0 1\nC a 10\n.\nL 200 0 1\nC a 1x", "line 5 is \"C a 1x\" (with no newline)")]
    [InlineData("L 100 0 2\n.\n", "line 1 is \"L 100 0 2\"")]
    [InlineData("L 100 0 1\nC a b 10\n.\n", "line 2 is \"C a b 10\"")]
    public void A_foreign_journal_is_refused_and_left_untouched(string content, string found)
    {
        var path = Path.Combine(_dir, "out.txt.clients");
        File.WriteAllText(path, content);

        var error = Record.Exception(() => ClientJournal.Recover(path, 1_000, 0));

        Assert.Equal(content, File.ReadAllText(path));
        Assert.Equal(
            $"{path}: {found}, not a journal record; refusing to overwrite a file that is not a Horodate client journal",
            Assert.IsType<InvalidDataException>(error).Message);
    }

    [Theory]
    [InlineData("L 2")]
    [InlineData("L 200 0 ")]
    [InlineData("C")]
    [InlineData("C run.7 9")]
    public void A_last_line_torn_by_a_crash_is_not_taken_for_a_foreign_one(string torn)
    {
        var path = Path.Combine(_dir, "out.txt.clients");
        File.WriteAllText(path, "L 100 0 1\nC a 10\n.\nL 200 0 1\n" + torn);

        var state = ClientJournal.Recover(path, 1_000, 0)!;

        Assert.Equal(100, state.MainLength);
        Assert.Equal(10, state.Clients["a"].Through);
    }

    [Fact]
    public void No_journal_means_no_state()
    {
        Assert.Null(ClientJournal.Recover(Path.Combine(_dir, "none.clients"), 100, 0));
    }
}
