using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Registry;

namespace SessionMesh.Grains.Registry;

/// <summary>What a specialization registry persists: its agents and their last reported status.</summary>
[GenerateSerializer, Alias("sessionmesh.specialization-state")]
public sealed class SpecializationState
{
    [Id(0)] public Dictionary<string, AgentStatus> Agents { get; set; } = [];
}

/// <summary>The registry of one specialization. Writes only when membership or a status changes.</summary>
[GrainType("specialization")]
public sealed class SpecializationGrain(
    [PersistentState("specialization", MeshStorage.Name)] IPersistentState<SpecializationState> state) : Grain, ISpecializationGrain, ISpecializationProtocol
{
    public async Task AddAsync(string agentId, AgentStatus status, CancellationToken cancellationToken = default)
    {
        Validate.Id("agent_id", agentId);
        var isNew = !state.State.Agents.TryGetValue(agentId, out var known);
        if (!isNew && known == status)
        {
            return;
        }

        state.State.Agents[agentId] = status;
        await state.WriteOrRevertAsync(() =>
        {
            if (isNew)
            {
                state.State.Agents.Remove(agentId);
            }
            else
            {
                state.State.Agents[agentId] = known;
            }
        }, cancellationToken);

        if (isNew)
        {
            await ReportCountAsync(cancellationToken);
        }
    }

    public async Task RemoveAsync(string agentId, CancellationToken cancellationToken = default)
    {
        if (!state.State.Agents.Remove(agentId, out var known))
        {
            return;
        }

        await state.WriteOrRevertAsync(() => state.State.Agents[agentId] = known, cancellationToken);
        await ReportCountAsync(cancellationToken);
    }

    public Task<IReadOnlyList<RegisteredAgent>> ListAsync(string? afterAgentId, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 1000)
        {
            throw new InvalidInputException("limit", $"must be between 1 and 1000 (got {limit}).");
        }

        IReadOnlyList<RegisteredAgent> agents = [.. state.State.Agents
            .Where(a => afterAgentId is null || string.CompareOrdinal(a.Key, afterAgentId) > 0)
            .OrderBy(a => a.Key, StringComparer.Ordinal)
            .Take(limit)
            .Select(a => new RegisteredAgent(a.Key, a.Value))];
        return Task.FromResult(agents);
    }

    private Task ReportCountAsync(CancellationToken cancellationToken) =>
        GrainFactory.GetGrain<ISpecializationDirectoryProtocol>(0).SetCountAsync(this.GetPrimaryKeyString(), state.State.Agents.Count, cancellationToken);
}
