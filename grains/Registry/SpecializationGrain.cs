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
    /// <summary>Whether the directory was told this registry's current count since activation.</summary>
    private bool _countReported;

    public async Task AddAsync(string agentId, AgentStatus status, CancellationToken cancellationToken = default)
    {
        Validate.Id(nameof(agentId), agentId);
        var isNew = !state.State.Agents.TryGetValue(agentId, out var known);
        if (!isNew && known == status)
        {
            await ReportCountAsync(state.State.Agents.Count, onlyIfBehind: true);
            return;
        }

        if (isNew)
        {
            // The directory hears of the larger count before the entry is written: if the write then
            // fails, the count is one high until the next call, but a specialization with agents is
            // never missing from the list (which is how discovery and the audit find registries).
            await ReportCountAsync(state.State.Agents.Count + 1);
        }

        state.State.Agents[agentId] = status;
        await state.WriteOrRevertAsync(() =>
        {
            if (isNew)
            {
                state.State.Agents.Remove(agentId);
                _countReported = false;
            }
            else
            {
                state.State.Agents[agentId] = known;
            }
        });
        _countReported = _countReported || isNew;
    }

    public async Task RemoveAsync(string agentId, CancellationToken cancellationToken = default)
    {
        if (state.State.Agents.Remove(agentId, out var known))
        {
            await state.WriteOrRevertAsync(() => state.State.Agents[agentId] = known);
            _countReported = false;
        }

        await ReportCountAsync(state.State.Agents.Count, onlyIfBehind: true);
    }

    public Task<IReadOnlyList<RegisteredAgent>> ListAsync(string? afterAgentId, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MeshLimits.MaxBatchRead)
        {
            throw new InvalidInputException(nameof(limit), $"must be between 1 and {MeshLimits.MaxBatchRead} (got {limit}).");
        }

        IReadOnlyList<RegisteredAgent> agents = [.. state.State.Agents
            .Where(a => afterAgentId is null || string.CompareOrdinal(a.Key, afterAgentId) > 0)
            .OrderBy(a => a.Key, StringComparer.Ordinal)
            .Take(limit)
            .Select(a => new RegisteredAgent(a.Key, a.Value))];
        return Task.FromResult(agents);
    }

    /// <summary>Tells the directory the count (it writes only on a change); derived, so retried by the next call when it fails.</summary>
    private async Task ReportCountAsync(int count, bool onlyIfBehind = false)
    {
        if (onlyIfBehind && _countReported)
        {
            return;
        }

        _countReported = false;
        await GrainFactory.GetGrain<ISpecializationDirectoryProtocol>(0).SetCountAsync(this.GetPrimaryKeyString(), count, CancellationToken.None);
        _countReported = count == state.State.Agents.Count;
    }
}
