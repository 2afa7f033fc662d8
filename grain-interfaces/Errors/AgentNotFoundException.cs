namespace SessionMesh.Errors;

/// <summary>No agent has this id.</summary>
[GenerateSerializer, Alias("sessionmesh.error.agent-not-found")]
public sealed class AgentNotFoundException : SessionMeshException
{
    public AgentNotFoundException(string agentId)
        : base($"Agent '{agentId}' does not exist.") => AgentId = agentId;

    [Id(0)] public string AgentId { get; private set; }
}
