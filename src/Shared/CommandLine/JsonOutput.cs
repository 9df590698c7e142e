using System.Text.Json;
using System.Text.Json.Serialization;
using Horodate.Logging;

namespace Horodate.CommandLine;

/// <summary>
/// <c>--json</c>: standard output holds exactly one JSON object, printed at exit (the summary, or the error of a
/// run that failed); every other line of the program goes to standard error, so that <c>program --json | jq .</c>
/// always parses.
/// </summary>
internal static class JsonOutput
{
    /// <summary>
    /// Where the lines that are not the result go: standard error with <c>--json</c>, standard output otherwise; queued
    /// either way (<see cref="StandardOutputWriter"/>, <see cref="StandardErrorWriter"/>): a stream nobody reads never blocks.
    /// </summary>
    public static TextWriter Notes(bool json) => json ? StandardErrorWriter.Writer : StandardOutputWriter.Writer;

    /// <summary>Where the result goes (the exit summary, <c>--json</c>'s object): standard output, queued.</summary>
    public static TextWriter Result => StandardOutputWriter.Writer;

    /// <summary>Prints the one JSON object of a run that failed: <c>{"error": "..."}</c>.</summary>
    public static void WriteError(string message) =>
        Result.WriteLine(JsonSerializer.Serialize(new CommandError(message), CommandLineJsonContext.Default.CommandError));
}

/// <summary>What <c>--json</c> prints for a run that failed before it had a summary (bad flags, a server that cannot start).</summary>
/// <param name="Error">What went wrong, the same words as on standard error.</param>
internal sealed record CommandError(string Error);

/// <summary>
/// A duration as a JSON number of seconds, to the millisecond (<c>4.025</c>): what scripts and <c>jq</c> compute
/// with, where <see cref="TimeSpan"/>'s default <c>"00:00:04.0250000"</c> would need parsing. Properties using it
/// are named with an <c>_s</c> suffix.
/// </summary>
internal sealed class SecondsConverter : JsonConverter<TimeSpan>
{
    private const int Decimals = 3; // milliseconds: finer digits are noise for run-long durations

    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TimeSpan.FromSeconds(reader.GetDouble());

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(Math.Round(value.TotalSeconds, Decimals));
}

/// <summary>Source-generated JSON for <see cref="CommandError"/>: no reflection, snake_case names.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CommandError))]
internal sealed partial class CommandLineJsonContext : JsonSerializerContext;
