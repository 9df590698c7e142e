using Horodate.Core.Durability;

namespace Horodate.Server.Sessions;

/// <summary>
/// A transport's way back to one client: the acknowledged mode's <c>OK</c>, then the acknowledgements the
/// pipeline offers (from its sync thread) through <see cref="IAckTarget"/>.
/// </summary>
internal interface IAckChannel : IAckTarget
{
    /// <summary>The hello asked for acknowledgements: sends the <c>OK</c>, ahead of every acknowledgement.</summary>
    void SendOk();
}
