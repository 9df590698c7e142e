using System.Globalization;
using Horodate.Checker;

// horodate-checker --output FILE [--keep-duplicates] [--acked REC]... [--sent REC]... [--required REC]...
//                  [--excuse FROM-TO]... [--unrecorded FROM-TO]... [--origin UNIX_MS]
// Prints OK, or one line per broken promise with examples. Exit code: 0 OK, 1 violations, 2 bad input.
string? output = null;
var keep = false;
long? origin = null;
List<string> acked = [], sent = [], required = [];
List<Window> excused = [], unrecorded = [];
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--output": output = Next(); break;
            case "--keep-duplicates": keep = true; break;
            case "--acked": acked.Add(Next()); break;
            case "--sent": sent.Add(Next()); break;
            case "--required": required.Add(Next()); break;
            case "--excuse": excused.Add(Window.Parse(Next())); break;
            case "--unrecorded": unrecorded.Add(Window.Parse(Next())); break;
            case "--origin": origin = long.Parse(Next(), CultureInfo.InvariantCulture); break;
            default: throw new FormatException($"unknown option {args[i]}");
        }
    }

    if (output is null)
    {
        throw new FormatException("--output FILE is required");
    }

    var report = Check.Run(new CheckInput
    {
        Output = output,
        KeepDuplicates = keep,
        Acked = acked,
        Sent = sent,
        Required = required,
        Excused = excused,
        Unrecorded = unrecorded,
        Origin = origin,
    });
    var inv = CultureInfo.InvariantCulture;
    Console.WriteLine(string.Create(inv, $"{report.MainLines:N0} lines in the main file, {report.LateLines:N0} in .late; {report.SentValues:N0} values sent, {report.AckedValues:N0} acknowledged, {report.RequiredValues:N0} plain"));
    foreach (var violation in report.Violations)
    {
        Console.WriteLine(violation);
    }

    Console.WriteLine(report.Ok ? "OK" : $"{report.Violations.Count} violations");
    return report.Ok ? 0 : 1;
}
catch (Exception ex) when (ex is FormatException or IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"horodate-checker: {ex.Message}");
    return 2;
}
