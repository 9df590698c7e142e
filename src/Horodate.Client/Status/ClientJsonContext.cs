using System.Text.Json.Serialization;

namespace Horodate.Client.Status;

/// <summary>Source-generated JSON for <c>--json</c>: no reflection, snake_case names.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ClientSummary))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
