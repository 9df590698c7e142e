namespace Horodate.Torture.Tree;

/// <summary>The tree's faults: a part killed and restarted on what it left behind, or frozen and resumed.</summary>
internal sealed partial class TreeRunner
{
    private async Task<bool> InjectAsync(TreeFault fault, CancellationToken stop)
    {
        switch (fault.Kind)
        {
            case TreeFaultKind.EdgeKill or TreeFaultKind.EdgeKillSameId:
                var edge = _edges[fault.Target];
                await KillAsync(edge.Process).ConfigureAwait(false);
                edge.Process = null;
                await Task.Delay(fault.Length, stop).ConfigureAwait(false);
                return await StartEdgeAsync(edge, newId: fault.Kind == TreeFaultKind.EdgeKill, stop).ConfigureAwait(false);
            case TreeFaultKind.RootKill:
                await KillAsync(_root).ConfigureAwait(false);
                _root = null;
                await Task.Delay(fault.Length, stop).ConfigureAwait(false);
                return await StartRootAsync(stop).ConfigureAwait(false);
            case TreeFaultKind.NatsKill:
                await KillAsync(_nats).ConfigureAwait(false);
                _nats = null;
                await Task.Delay(fault.Length, stop).ConfigureAwait(false);
                return await StartNatsAsync(stop).ConfigureAwait(false);
            default:
                var process = fault.Kind switch
                {
                    TreeFaultKind.EdgePause => _edges[fault.Target].Process,
                    TreeFaultKind.RootPause => _root,
                    TreeFaultKind.ClientPause => _clients[fault.Target].Process,
                    _ => _nats,
                };
                if (process is null)
                {
                    return false;
                }

                process.Pause();
                try
                {
                    await Task.Delay(fault.Length, stop).ConfigureAwait(false);
                }
                finally
                {
                    process.Resume();
                }

                return true;
        }
    }

    /// <summary>kill -9, waited for (the port is free again once it has exited).</summary>
    private static async Task KillAsync(ChildProcess? process)
    {
        if (process is null)
        {
            return;
        }

        process.KillHard();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        process.Dispose();
    }
}
