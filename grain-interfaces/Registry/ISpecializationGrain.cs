using Orleans.Concurrency;
using SessionMesh.Agents;

namespace SessionMesh.Registry;

/// <summary>
/// The registry of one specialization (keyed by its name): which agents offer it and their status.
/// One grain per specialization, so no grain holds the whole mesh. Agents update it through an internal protocol.
/// </summary>
[Alias("SessionMesh.Registry.ISpecializationGrain")]
public interface ISpecializationGrain : IGrainWithStringKey
{
    /// <summary>Agents offering this specialization, ordered by id, after <paramref name="afterAgentId"/>.</summary>
    // A read of the registry's state.
    [Alias("list"), ReadOnly]
    Task<IReadOnlyList<RegisteredAgent>> ListAsync(string? afterAgentId, int limit, CancellationToken cancellationToken = default);
}

/// <summary>An agent in a specialization registry, with the status the agent last reported.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.registered-agent")]
public sealed record RegisteredAgent([property: Id(0)] string AgentId, [property: Id(1)] AgentStatus Status);

/// <summary>A specialization and how many agents offer it.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.specialization-count")]
public sealed record SpecializationCount([property: Id(0)] string Specialization, [property: Id(1)] int Agents);

/// <summary>The small directory of specializations and their agent counts. Use key 0.</summary>
[Alias("SessionMesh.Registry.ISpecializationDirectoryGrain")]
public interface ISpecializationDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Every specialization with at least one agent, in ordinal order.</summary>
    [Alias("list")]
    Task<IReadOnlyList<SpecializationCount>> ListAsync(CancellationToken cancellationToken = default);
}
