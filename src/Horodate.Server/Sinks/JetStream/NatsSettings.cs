using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Horodate.Server.Sinks.JetStream;

/// <summary>
/// How an edge or a root reaches NATS JetStream: the server's URL (<c>nats://</c>, or <c>tls://</c> for TLS) and
/// the credentials, which come from the environment or a file, never from the command line (a command line is
/// visible to every user of the machine in <c>ps</c>).
/// </summary>
internal sealed record NatsSettings
{
    /// <summary>The stream every edge publishes to and the root consumes from.</summary>
    public const string StreamName = "HORODATE";

    /// <summary>The subjects of the stream: one per edge, <c>horodate.frames.&lt;edge-id&gt;</c>.</summary>
    public const string SubjectPrefix = "horodate.frames.";

    /// <summary>The environment variables credentials are read from.</summary>
    public const string UserVariable = "HORODATE_NATS_USER", PasswordVariable = "HORODATE_NATS_PASSWORD", TokenVariable = "HORODATE_NATS_TOKEN";

    /// <summary>The NATS server, e.g. <c>nats://127.0.0.1:4222</c>.</summary>
    public required string Url { get; init; }

    /// <summary>User name, with <see cref="Password"/>; none by default.</summary>
    public string? User { get; init; }

    /// <summary>Password of <see cref="User"/>.</summary>
    public string? Password { get; init; }

    /// <summary>A token instead of a user and password; none by default.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// How long stream and message are kept (default 1 h): the window a root restarted after an outage can
    /// catch up from, and what a future <c>--rebuild</c> could replay.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The window in which JetStream drops a republished frame by its <c>Nats-Msg-Id</c> (default 2 min: far
    /// longer than an edge retries a publish, which is bounded by its request timeout of 5 s).
    /// </summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Settings for <paramref name="url"/>, with credentials from <paramref name="credentialsFile"/> (lines
    /// <c>user=…</c>, <c>password=…</c> or <c>token=…</c>) or else from the environment
    /// (<see cref="UserVariable"/>, <see cref="PasswordVariable"/>, <see cref="TokenVariable"/>).
    /// </summary>
    /// <exception cref="IOException">The credentials file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The credentials file has a line that is none of those.</exception>
    public static NatsSettings From(string url, string? credentialsFile)
    {
        var settings = new NatsSettings
        {
            Url = url,
            User = Environment.GetEnvironmentVariable(UserVariable),
            Password = Environment.GetEnvironmentVariable(PasswordVariable),
            Token = Environment.GetEnvironmentVariable(TokenVariable),
        };
        if (credentialsFile is null)
        {
            return settings;
        }

        foreach (var raw in File.ReadAllLines(credentialsFile))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = eq < 0 ? (line, "") : (line[..eq].Trim(), line[(eq + 1)..].Trim());
            settings = key switch
            {
                "user" => settings with { User = value },
                "password" => settings with { Password = value },
                "token" => settings with { Token = value },
                _ => throw new InvalidDataException($"{credentialsFile}: '{key}' is not user, password or token."),
            };
        }

        return settings;
    }

    /// <summary>A connection (not yet connected: the first use connects) named <paramref name="name"/>.</summary>
    public NatsConnection Connect(string name) => new(new NatsOpts
    {
        Url = Url,
        Name = name,
        AuthOpts = new NatsAuthOpts { Username = User, Password = Password, Token = Token },
    });

    /// <summary>Creates the stream, or updates it to these settings: file storage, the duplicate window, the age.</summary>
    public async Task EnsureStreamAsync(INatsJSContext js, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(js);
        await js.CreateOrUpdateStreamAsync(
            new StreamConfig(StreamName, [SubjectPrefix + ">"])
            {
                Storage = StreamConfigStorage.File,
                DuplicateWindow = DuplicateWindow,
                MaxAge = MaxAge,
            },
            cancel).ConfigureAwait(false);
    }
}
