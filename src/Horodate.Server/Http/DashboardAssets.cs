using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Horodate.Server.Http;

/// <summary>
/// The dashboard's files, embedded in the assembly (<c>Http/Dashboard/</c>, resource names <c>dashboard/NAME</c>):
/// nothing to deploy beside the executable and nothing fetched from elsewhere (the page has no CDN to reach).
/// Loaded once; each carries a strong ETag so a reload costs a 304.
/// </summary>
internal sealed class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, Asset> _assets;

    private DashboardAssets(FrozenDictionary<string, Asset> assets) => _assets = assets;

    /// <summary>The page served at <c>/</c>.</summary>
    public const string Index = "index.html";

    /// <summary>The assets embedded in this assembly.</summary>
    public static DashboardAssets Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[Prefix.Length..];
            var content = Read(assembly, resource);
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8)) + "\"";
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
            assets[name] = new Asset(content, type, etag);
        }

        if (!assets.ContainsKey(Index))
        {
            throw new InvalidOperationException($"The dashboard's {Index} is not embedded in {assembly.GetName().Name}.");
        }

        return new DashboardAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public bool TryGet(string name, out Asset asset) => _assets.TryGetValue(name, out asset!);

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>One embedded file: its bytes, content type and ETag.</summary>
    internal sealed record Asset(byte[] Content, string ContentType, string ETag);
}
