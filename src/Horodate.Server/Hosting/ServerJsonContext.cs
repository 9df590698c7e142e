using System.Text.Json.Serialization;

namespace Horodate.Server.Hosting;

/// <summary>Source-generated JSON for <c>--json</c>: no reflection, snake_case names.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServerSummary))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
