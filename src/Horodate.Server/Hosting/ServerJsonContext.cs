using System.Text.Json.Serialization;
using Horodate.Server.Http;
using Horodate.Server.Status;

namespace Horodate.Server.Hosting;

/// <summary>Source-generated JSON for <c>--json</c> and the HTTP endpoint: no reflection, snake_case names.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServerSummary))]
[JsonSerializable(typeof(HistoryResponse))]
[JsonSerializable(typeof(TailResponse))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
