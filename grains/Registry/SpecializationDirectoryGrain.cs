using SessionMesh.Registry;

namespace SessionMesh.Grains.Registry;

/// <summary>What the specialization directory persists: one count per specialization.</summary>
[GenerateSerializer, Alias("sessionmesh.specialization-directory-state")]
public sealed class SpecializationDirectoryState
{
    [Id(0)] public Dictionary<string, int> Counts { get; set; } = [];
}

/// <summary>The list of specializations with their agent counts (small: one entry per specialization).</summary>
[GrainType("specializationdirectory")]
public sealed class SpecializationDirectoryGrain(
    [PersistentState("specializations", MeshStorage.Name)] IPersistentState<SpecializationDirectoryState> state) : Grain, ISpecializationDirectoryGrain, ISpecializationDirectoryProtocol
{
    public async Task SetCountAsync(string specialization, int agents, CancellationToken cancellationToken = default)
    {
        var had = state.State.Counts.TryGetValue(specialization, out var previous);
        if ((had && previous == agents) || (!had && agents == 0))
        {
            return;
        }

        if (agents == 0)
        {
            state.State.Counts.Remove(specialization);
        }
        else
        {
            state.State.Counts[specialization] = agents;
        }

        await state.WriteOrRevertAsync(
            () =>
            {
                if (had)
                {
                    state.State.Counts[specialization] = previous;
                }
                else
                {
                    state.State.Counts.Remove(specialization);
                }
            });
    }

    public Task<IReadOnlyList<SpecializationCount>> ListAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<SpecializationCount> list = [.. state.State.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new SpecializationCount(c.Key, c.Value))];
        return Task.FromResult(list);
    }
}
