namespace SessionMesh.Errors;

/// <summary>
/// A call carried a fencing epoch that is no longer current: it comes from an agent process that
/// was killed (or from before a kill), and is refused so it cannot revive the agent.
/// </summary>
[GenerateSerializer, Alias("sessionmesh.error.stale-epoch")]
public sealed class StaleEpochException : SessionMeshException
{
    public StaleEpochException(string agentId, long epoch, long currentEpoch)
        : base($"Agent '{agentId}': epoch {epoch} is stale (current epoch is {currentEpoch}).")
    {
        AgentId = agentId;
        Epoch = epoch;
        CurrentEpoch = currentEpoch;
    }

    [Id(0)] public string AgentId { get; private set; }

    [Id(1)] public long Epoch { get; private set; }

    [Id(2)] public long CurrentEpoch { get; private set; }
}
