using System.Diagnostics.CodeAnalysis;

namespace Horodate.Server.Hosting;

/// <summary>
/// The parts of the server a lean native publish leaves out (README, Deploying; Horodate.Server.csproj,
/// <c>HorodateEdition</c>). Each is an <see cref="AppContext"/> switch, on unless the publish turns it off; off, the
/// native compiler removes the code behind it, so that the single server's binary neither maps its pages nor builds
/// its types at start (docs/performance.md, Native). Asking an edition for a part it lacks is refused at start with
/// the edition to install instead.
/// </summary>
internal static class ServerFeatures
{
    /// <summary>The switch of <see cref="Kestrel"/>.</summary>
    public const string KestrelSwitch = "Horodate.Server.Kestrel";

    /// <summary>The switch of <see cref="Cluster"/>.</summary>
    public const string ClusterSwitch = "Horodate.Server.Cluster";

    /// <summary>What a lean binary says when asked for a part it lacks.</summary>
    public const string FullEdition = "this is the lean native build; publish with -p:HorodateEdition=full for it (README, Deploying)";

    /// <summary>ASP.NET Core's Kestrel: the portable and TLS transport, and the <c>--http</c> dashboard and metrics.</summary>
    [FeatureSwitchDefinition(KestrelSwitch)]
    public static bool Kestrel => !AppContext.TryGetSwitch(KestrelSwitch, out var on) || on;

    /// <summary>The <c>edge</c> and <c>root</c> roles, over NATS JetStream.</summary>
    [FeatureSwitchDefinition(ClusterSwitch)]
    public static bool Cluster => !AppContext.TryGetSwitch(ClusterSwitch, out var on) || on;
}
