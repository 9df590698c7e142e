using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace Horodate.CommandLine;

/// <summary>
/// Layers the usual sources under the command line: a flag wins over an environment variable
/// (<c>HORODATE_IDLE_TIMEOUT=2s</c>), which wins over the JSON file given with <c>--config</c>
/// (<c>{ "idle-timeout": "2s", "listen": ["127.0.0.1:7890"] }</c>), which wins over the default. Values from the
/// environment and the file are turned into the flags they stand for and parsed like them, so a bad value
/// gets the same message and exit code wherever it came from.
/// </summary>
internal static class ConfigLayers
{
    public const string EnvironmentPrefix = "HORODATE_";

    /// <summary>An option that names the JSON file to read.</summary>
    /// <param name="example">A JSON object of this program's options, for the help (<c>{ "output": "ts.txt" }</c>).</param>
    public static Option<string?> ConfigOption(string example) => new("--config")
    {
        Description = $"Read options from this JSON file ({example}). Precedence: flag > environment ({EnvironmentPrefix}OPTION_NAME) > file > default.",
        HelpName = "file.json",
    };

    /// <summary>
    /// <paramref name="args"/> with, appended, the flags the environment and the file supply for options of the command
    /// they run (<paramref name="root"/>, or a subcommand that has <c>--config</c>: the server's <c>edge</c> and
    /// <c>root</c>) that the command line leaves out. Subcommands without <c>--config</c> (<c>verify</c>) are left alone.
    /// </summary>
    /// <exception cref="InvalidDataException">The file cannot be read as JSON.</exception>
    public static string[] Apply(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        var command = parse.CommandResult.Command;
        if (command != root && !command.Options.Any(o => o.Name == "--config"))
        {
            return args; // a subcommand whose options are its own (verify)
        }

        var builder = new ConfigurationBuilder();
        if (parse.GetValue<string?>("--config") is { } file)
        {
            if (!File.Exists(file))
            {
                throw new InvalidDataException($"--config: no such file: {file}");
            }

            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        IConfiguration config;
        try
        {
            config = builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or IOException or InvalidDataException)
        {
            throw new InvalidDataException($"--config: {ex.Message} {ex.InnerException?.Message}".TrimEnd(), ex);
        }

        RefuseUnknownKeys((IConfigurationRoot)config, command);

        var extra = new List<string>();
        foreach (var option in command.Options)
        {
            if (option.Name is "--config" or "--help" or "--version" || parse.GetResult(option) is { Implicit: false })
            {
                continue; // given on the command line, or not an option a file sets
            }

            var values = Lookup(config, option.Name.TrimStart('-'));
            foreach (var alias in option.Aliases)
            {
                if (values.Count == 0 && alias.StartsWith("--", StringComparison.Ordinal))
                {
                    values = Lookup(config, alias.TrimStart('-')); // a long alias is a key too: a name the option had before
                }
            }

            if (option.ValueType == typeof(bool))
            {
                if (values.Count == 1 && bool.TryParse(values[0], out var on) && on)
                {
                    extra.Add(option.Name);
                }
            }
            else
            {
                foreach (var value in values)
                {
                    extra.Add(option.Name);
                    extra.Add(value);
                }
            }
        }

        return [.. args, .. extra];
    }

    /// <summary>
    /// A key of the file that names no option of <paramref name="command"/> (a typo: <c>idle-timout</c>) is refused, not
    /// silently ignored. The environment is not judged: it holds other programs' <c>HORODATE_</c> variables too.
    /// </summary>
    private static void RefuseUnknownKeys(IConfigurationRoot config, Command command)
    {
        var known = command.Options
            .SelectMany(o => o.Aliases.Prepend(o.Name))
            .Where(name => name.StartsWith("--", StringComparison.Ordinal) && name is not "--config" and not "--help" and not "--version")
            .SelectMany(name => new[] { name[2..], name[2..].Replace('-', '_') })
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var file in config.Providers.OfType<JsonConfigurationProvider>())
        {
            if (file.GetChildKeys([], null).Distinct(StringComparer.OrdinalIgnoreCase).FirstOrDefault(key => !known.Contains(key)) is { } unknown)
            {
                throw new InvalidDataException($"--config: '{unknown}' in {file.Source.Path} is not an option of {command.Name} (see --help).");
            }
        }
    }

    /// <summary>The values of <paramref name="key"/>: <c>idle-timeout</c> in the file, <c>IDLE_TIMEOUT</c> in the environment; lists as JSON arrays or comma-separated.</summary>
    private static List<string> Lookup(IConfiguration config, string key)
    {
        foreach (var name in new[] { key, key.Replace('-', '_') })
        {
            var section = config.GetSection(name);
            var children = section.GetChildren().Where(c => c.Value is not null).Select(c => c.Value!).ToList();
            if (children.Count > 0)
            {
                return children;
            }

            if (section.Value is { } value)
            {
                return [.. value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
            }
        }

        return [];
    }
}
