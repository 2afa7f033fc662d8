using SessionMesh.Agents;

namespace SessionMesh.Grains.Registry;

/// <summary>How an agent grain keeps its specializations' registries current. Internal: clients cannot edit a registry.</summary>
[Alias("SessionMesh.Grains.Registry.ISpecializationProtocol")]
internal interface ISpecializationProtocol : IGrainWithStringKey
{
    /// <summary>Adds or refreshes an agent (called by the agent grain).</summary>
    [Alias("add")]
    Task AddAsync(string agentId, AgentStatus status, CancellationToken cancellationToken = default);

    /// <summary>Removes an agent (called by the agent grain).</summary>
    [Alias("remove")]
    Task RemoveAsync(string agentId, CancellationToken cancellationToken = default);
}

/// <summary>How a registry grain reports its agent count. Internal: clients cannot edit the directory.</summary>
[Alias("SessionMesh.Grains.Registry.ISpecializationDirectoryProtocol")]
internal interface ISpecializationDirectoryProtocol : IGrainWithIntegerKey
{
    /// <summary>Sets a specialization's agent count (called by its registry grain); 0 removes it.</summary>
    [Alias("set-count")]
    Task SetCountAsync(string specialization, int agents, CancellationToken cancellationToken = default);
}
