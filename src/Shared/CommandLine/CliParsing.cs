using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Horodate.Core.CommandLine;
using Horodate.Logging;

namespace Horodate.CommandLine;

/// <summary>Option builders and the entry point shared by both programs' command lines.</summary>
internal static class CliParsing
{
    /// <summary>Exit code for bad flags or values, as the usual Unix tools do.</summary>
    public const int UsageError = 2;

    /// <summary>A duration option (<c>50ms</c>, <c>1s</c>, <c>2m</c>) that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<TimeSpan?> Duration(string name, string description, TimeSpan min, TimeSpan max) => new(name)
    {
        Description = description,
        HelpName = "duration",
        CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (!DurationParser.TryParse(token, out var value, out var error))
            {
                result.AddError($"{name}: {error}");
                return null;
            }

            if (value < min || value > max)
            {
                result.AddError($"{name}: {token} is out of range ({DurationParser.Format(min)} to {DurationParser.Format(max)}).");
                return null;
            }

            return value;
        },
    };

    /// <summary>
    /// An option naming one of <typeparamref name="T"/>'s members (any case); a bad name is answered with the
    /// <paramref name="shown"/> ones, not with the enum's .NET type name.
    /// </summary>
    public static Option<T?> Choice<T>(string name, string description, string helpName, params T[] shown)
        where T : struct, Enum => new(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result =>
            {
                var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (token.Length > 0 && char.IsLetter(token[0]) && Enum.TryParse<T>(token, ignoreCase: true, out var value) && Enum.IsDefined(value))
                {
                    return value;
                }

                result.AddError($"{name}: '{token}' is not one of {string.Join(", ", shown)}.");
                return null;
            },
        };

    /// <summary>Parses one token: the value, or false and what is wrong with it.</summary>
    public delegate bool TokenParser<T>(string token, out T value, out string error);

    /// <summary>A repeatable option (<c>--name a --name b</c>) whose every token goes through <paramref name="parse"/>.</summary>
    public static Option<T[]> Repeatable<T>(string name, string? alias, string description, string helpName, TokenParser<T> parse)
    {
        var option = alias is null ? new Option<T[]>(name) : new Option<T[]>(name, alias);
        option.Description = description;
        option.HelpName = helpName;
        option.Arity = ArgumentArity.OneOrMore;
        option.CustomParser = result =>
        {
            var values = new List<T>();
            foreach (var token in result.Tokens)
            {
                if (parse(token.Value, out var value, out var error))
                {
                    values.Add(value);
                }
                else
                {
                    result.AddError($"{name}: {error}");
                }
            }

            return [.. values];
        };
        return option;
    }

    /// <summary>
    /// Both programs' reporting options: <c>--status-interval</c> (alias <c>--report-interval</c>) for the plain
    /// status line (<c>StatusInterval</c> in both programs' options, <paramref name="defaultInterval"/> by default), and
    /// <c>--quiet</c> to use that line instead of the live panel on a terminal.
    /// </summary>
    public static (Option<TimeSpan?> Interval, Option<bool> Quiet) ReportOptions(TimeSpan defaultInterval)
    {
        var interval = Duration("--status-interval",
            $"On a redirected output or with --quiet: how often a status line is printed; 0s for none. [default: {DurationParser.Format(defaultInterval)}]", TimeSpan.Zero, TimeSpan.FromHours(1));
        interval.Aliases.Add("--report-interval"); // the name it had before: command lines that use it keep working
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No live panel on a terminal: plain status lines every --status-interval, as on a redirected output." };
        return (interval, quiet);
    }

    /// <summary>An integer option that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int?> Integer(string name, string alias, string description, int min, int max)
    {
        var option = alias.Length == 0 ? new Option<int?>(name) : new Option<int?>(name, alias);
        option.Description = description;
        option.HelpName = "n";
        option.CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (!int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError($"{name}: '{token}' is not a whole number.");
                return null;
            }

            if (value < min || value > max)
            {
                result.AddError($"{name}: {value} is out of range ({min} to {max}).");
                return null;
            }

            return value;
        };
        return option;
    }

    /// <summary>
    /// Parses <paramref name="args"/>; on a bad flag prints every error and a hint to standard error and
    /// returns <see cref="UsageError"/> (with <c>--json</c>, also the first error as one JSON object on standard
    /// output); otherwise runs the chosen command. Ctrl-C and SIGTERM are left to the commands, which stop gracefully.
    /// </summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        try
        {
            return await ParseAndRunAsync(root, args).ConfigureAwait(false);
        }
        finally
        {
            // What is queued for standard output (the summary, --json's object) goes out before the exit, waiting for a
            // standard output nobody reads no longer than the flush's bound.
            StandardOutputWriter.Flush();
        }
    }

    private static async Task<int> ParseAndRunAsync(RootCommand root, string[] args)
    {
        try
        {
            args = ConfigLayers.Apply(root, args);
        }
        catch (InvalidDataException ex)
        {
            return Fail(root.Name, ex.Message, JsonRequested(root, root.Parse(args)));
        }

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"{root.Name}: {error.Message}").ConfigureAwait(false);
            }

            var command = parse.CommandResult.Command == root ? root.Name : $"{root.Name} {parse.CommandResult.Command.Name}";
            await Console.Error.WriteLineAsync($"Try '{command} --help'.").ConfigureAwait(false); // the help that lists the options in question
            if (JsonRequested(root, parse))
            {
                JsonOutput.WriteError(string.Join(" ", parse.Errors.Select(e => e.Message)));
            }

            return UsageError;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    /// <summary>
    /// Reports a bad combination of values found after parsing, the same way as a parse error: on standard error,
    /// and with <paramref name="json"/> as one JSON object on standard output.
    /// </summary>
    public static int Fail(string program, string message, bool json = false)
    {
        Console.Error.WriteLine($"{program}: {message}");
        Console.Error.WriteLine($"Try '{program} --help'.");
        if (json)
        {
            JsonOutput.WriteError(message);
        }

        return UsageError;
    }

    /// <summary>Whether the command line asked for <c>--json</c>, even when other flags are bad (then it is read on its own).</summary>
    private static bool JsonRequested(RootCommand root, ParseResult parse) =>
        parse.CommandResult.Command == root
        && root.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--json") is { } json
        && parse.GetResult(json) is { } given && !given.Errors.Any()
        && parse.GetValue(json);
}
