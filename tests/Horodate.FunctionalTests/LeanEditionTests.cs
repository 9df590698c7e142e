using System.Text.Json.Nodes;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>
/// The server with the lean native edition's feature switches off (README, Deploying), run as the JIT build with its
/// runtime configuration's <c>configProperties</c> saying what a lean publish's do: every part it lacks is refused at
/// start with the edition to install, never dropped in silence; what it has works.
/// </summary>
public sealed class LeanEditionTests
{
    [Theory]
    [InlineData(2, "the edge role runs on NATS JetStream", "edge", "--nats", "nats://127.0.0.1:1", "--edge-id", "e1", "--listen", "127.0.0.1:0")]
    [InlineData(2, "the root role runs on NATS JetStream", "root", "--nats", "nats://127.0.0.1:1")]
    [InlineData(1, "--http runs on Kestrel", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0")]
    [InlineData(1, "the Kestrel transport runs on Kestrel", "--listen", "127.0.0.1:0", "--transport", "kestrel")]
    public async Task A_part_the_lean_edition_lacks_is_refused_naming_the_full_edition(int exitCode, string why, params string[] args)
    {
        using var dir = new TempDirectory();
        using var run = ProgramProcess.Start("dotnet", [.. await LeanAsync(dir), .. args, "--output", dir.File("out.txt")]);
        await run.WaitForExitAsync(Within.Short);

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Contains(why, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("-p:HorodateEdition=full", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_lean_edition_serves_on_epoll()
    {
        using var dir = new TempDirectory();
        using var server = ProgramProcess.Start("dotnet", [.. await LeanAsync(dir), "--listen", "127.0.0.1:0", "--output", dir.File("out.txt")]);
        var line = await server.WaitForLineAsync(l => l.Contains("listening on ", StringComparison.Ordinal), Within.Start);

        Assert.Contains("(epoll)", line, StringComparison.Ordinal);
    }

    /// <summary><c>dotnet exec</c> of the server with a copy of its runtime configuration whose lean switches are off.</summary>
    private static async Task<string[]> LeanAsync(TempDirectory dir)
    {
        var dll = ProgramProcess.Server + ".dll";
        var config = JsonNode.Parse(await File.ReadAllTextAsync(ProgramProcess.Server + ".runtimeconfig.json", TestContext.Current.CancellationToken))!;
        var properties = config["runtimeOptions"]!["configProperties"]!.AsObject();
        foreach (var feature in (string[])["Horodate.Server.Kestrel", "Horodate.Server.Cluster", "Horodate.LivePanel"])
        {
            properties[feature] = false;
        }

        var lean = dir.File("lean.runtimeconfig.json");
        await File.WriteAllTextAsync(lean, config.ToJsonString(), TestContext.Current.CancellationToken);
        return ["exec", "--runtimeconfig", lean, "--depsfile", ProgramProcess.Server + ".deps.json", dll];
    }
}
