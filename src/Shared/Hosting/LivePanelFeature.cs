using System.Diagnostics.CodeAnalysis;

namespace Horodate.Hosting;

/// <summary>
/// Whether this build has the live panel (Spectre.Console) that both programs show on an interactive terminal. On
/// unless a publish turns its switch off (the lean native edition, README, Deploying): the native compiler then
/// drops the panel and Spectre.Console from the binary, and the programs print the plain status line instead.
/// </summary>
internal static class LivePanelFeature
{
    /// <summary>The <see cref="AppContext"/> switch (a <c>RuntimeHostConfigurationOption</c> in the projects).</summary>
    public const string Switch = "Horodate.LivePanel";

    /// <summary>True unless the switch is off.</summary>
    [FeatureSwitchDefinition(Switch)]
    public static bool IsSupported => !AppContext.TryGetSwitch(Switch, out var on) || on;
}
