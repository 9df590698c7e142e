using Horodate.Client.CommandLine;
using Horodate.CommandLine;

return await CliParsing.RunAsync(ClientCommand.Create(), args).ConfigureAwait(false);
