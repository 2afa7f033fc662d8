using SessionMesh.Agents;

namespace SessionMesh.Grains.Agents;

/// <summary>What an agent grain persists.</summary>
[GenerateSerializer, Alias("sessionmesh.agent-state")]
public sealed class AgentState
{
    /// <summary>The agent as last written; null until registered.</summary>
    [Id(0)] public AgentSnapshot? Agent { get; set; }

    /// <summary>Directives not yet acknowledged, plus the most recent acknowledged ones.</summary>
    [Id(1)] public List<Directive> Directives { get; set; } = [];

    /// <summary>Sessions the agent ran, most recent last (bounded): where a kill cascades from.</summary>
    [Id(2)] public List<Guid> Sessions { get; set; } = [];

    /// <summary>Whether the pending graceful kill cascades to descendant sessions.</summary>
    [Id(3)] public bool CascadeOnKill { get; set; }
}
