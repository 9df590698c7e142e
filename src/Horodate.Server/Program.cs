using Horodate.CommandLine;
using Horodate.Server.CommandLine;

return await CliParsing.RunAsync(ServerCommand.Create(), args).ConfigureAwait(false);
