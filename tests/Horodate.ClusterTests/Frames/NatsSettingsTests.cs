using Horodate.ClusterTests.Support;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Sinks.JetStream;

namespace Horodate.ClusterTests.Frames;

/// <summary>The NATS settings of edges and root (<see cref="NatsSettings.Validate"/>), and the command line's usage errors for bad ones.</summary>
public sealed class NatsSettingsTests
{
    private static readonly NatsSettings Good = new() { Url = "nats://127.0.0.1:4222", User = "u", Password = "p" };

    private static readonly (string Name, NatsSettings Settings)[] Bad =
    [
        ("Url", Good with { Url = " " }),
        ("Url", Good with { Url = "http://127.0.0.1:4222" }),
        ("Url", Good with { Url = "nats://127.0.0.1:4222, 127.0.0.1:4223" }),
        ("User", Good with { Password = null }),
        ("User", Good with { User = null }),
        ("Token", Good with { Token = "t" }),
        ("MaxAge", Good with { MaxAge = TimeSpan.FromSeconds(59) }),
        ("DuplicateWindow", Good with { DuplicateWindow = TimeSpan.Zero }),
        ("DuplicateWindow", Good with { MaxAge = TimeSpan.FromMinutes(1) }), // the 2 min window is longer than the age
    ];

    public static TheoryData<int> BadCases => new(Enumerable.Range(0, Bad.Length));

    [Theory]
    [MemberData(nameof(BadCases))]
    public void Bad_settings_are_refused_naming_the_bad_one(int index)
    {
        var (name, settings) = Bad[index];
        var error = Assert.ThrowsAny<ArgumentException>(settings.Validate);
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void Good_settings_pass_with_one_url_or_several_and_with_a_token_alone()
    {
        Good.Validate();
        (Good with { Url = "nats://a:4222,tls://b:4222" }).Validate();
        new NatsSettings { Url = "tls://nats.example:4222", Token = "t" }.Validate();
        new NatsSettings { Url = "nats://127.0.0.1:4222" }.Validate();
    }

    [Theory]
    [InlineData(false, "edge", "--nats", "http://127.0.0.1:1", "--edge-id", "e1")]
    [InlineData(true, "root", "--nats", "nats://127.0.0.1:1")]
    [InlineData(false, "root", "--nats", "nats://127.0.0.1:1", "--nats-credentials", "/nonexistent/credentials")]
    public async Task A_bad_nats_setting_is_a_usage_error_before_anything_connects(bool userWithoutPassword, params string[] args)
    {
        var environment = new Dictionary<string, string>(Tree.Credentials);
        if (userWithoutPassword)
        {
            environment["HORODATE_NATS_PASSWORD"] = "";
        }

        using var server = ProgramProcess.Start(ProgramProcess.Server, environment, [.. args, "--output", Path.Combine(Path.GetTempPath(), $"horodate-{Guid.NewGuid():N}.txt")]);
        await server.WaitForExitAsync(Within.Short);

        Assert.Equal(2, server.ExitCode);
        Assert.Contains("--nats:", server.Stderr, StringComparison.Ordinal);
    }
}
