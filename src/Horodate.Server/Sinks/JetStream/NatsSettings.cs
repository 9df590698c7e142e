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
    /// longer than an edge retries a publish, which is bounded by its request timeout of 5 s; at most
    /// <see cref="MaxAge"/>, which JetStream requires).
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

    /// <summary>
    /// Checks the settings against what the command line allows and JetStream accepts, and throws
    /// <see cref="ArgumentException"/> naming the first bad one: <see cref="Url"/> one or more (comma-separated)
    /// <c>nats://</c> or <c>tls://</c> URLs with a host; a user with a password (and the reverse), not with a token;
    /// <see cref="MaxAge"/> from 1 min to 365 days; <see cref="DuplicateWindow"/> positive and within
    /// <see cref="MaxAge"/> (JetStream refuses a longer one).
    /// </summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Url);
        foreach (var part in Url.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Host.Length == 0)
            {
                throw new ArgumentException($"'{part}' is not a nats://host:port or tls://host:port URL.", nameof(Url));
            }
        }

        if (string.IsNullOrEmpty(User) != string.IsNullOrEmpty(Password))
        {
            throw new ArgumentException($"A NATS user needs a password and a password a user ({UserVariable}, {PasswordVariable} or the credentials file).", nameof(User));
        }

        if (!string.IsNullOrEmpty(User) && !string.IsNullOrEmpty(Token))
        {
            throw new ArgumentException("NATS credentials: a user and password, or a token, not both.", nameof(Token));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAge, TimeSpan.FromMinutes(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxAge, TimeSpan.FromDays(365));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DuplicateWindow, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DuplicateWindow, MaxAge);
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
