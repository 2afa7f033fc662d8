using Orleans.Concurrency;
using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Errors;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Sessions;
using SessionMesh.Liveness;
using SessionMesh.Registry;
using SessionMesh.Sessions;

namespace SessionMesh.Grains.Discovery;

/// <summary>
/// Answers discovery from the indexes: liveness shards (alive / stale), the session catalog
/// (active / all, by agent) and the specialization registries. The work per page is bounded by the
/// page size, the fixed shard count and the agents asked about, never by how many sessions exist.
/// </summary>
[StatelessWorker]
[GrainType("discovery")]
public sealed class DiscoveryGrain(ISessionCatalog catalog, IMeshCounters counters) : Grain, IDiscoveryGrain
{
    /// <summary>The largest page a discovery query returns.</summary>

    /// <summary>The most agents a specialization query considers at once.</summary>

    public async Task<DiscoveryPage> DiscoverSessionsAsync(DiscoveryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > MeshLimits.MaxPage)
        {
            throw new InvalidInputException(nameof(query.Limit), $"must be between 1 and {MeshLimits.MaxPage} (got {query.Limit}).");
        }

        if (!Enum.IsDefined(query.Filter))
        {
            throw new InvalidInputException(nameof(query.Filter), $"'{query.Filter}' is not a filter (use active, alive, stale or all).");
        }

        if (query.AgentId is not null && query.Specialization is not null)
        {
            throw new InvalidInputException(nameof(query.AgentId), "give an agent or a specialization, not both.");
        }

        var agents = await AgentsAsync(query, cancellationToken);
        return query.Filter switch
        {
            DiscoveryFilter.Alive or DiscoveryFilter.Stale or DiscoveryFilter.Stalled when agents is null => await FromLeasesAsync(Health(query.Filter), query, cancellationToken),
            DiscoveryFilter.Alive or DiscoveryFilter.Stale or DiscoveryFilter.Stalled => await FromCatalogAsync(SessionStatus.Active, agents, Health(query.Filter), query, cancellationToken),
            DiscoveryFilter.Active => await FromCatalogAsync(SessionStatus.Active, agents, null, query, cancellationToken),
            _ => await FromCatalogAsync(null, agents, null, query, cancellationToken),
        };
    }

    public async Task<IReadOnlyList<FoundAgent>> FindAgentsAsync(string specialization, AgentFilter filter, string? afterAgentId = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        Validate.Id(nameof(specialization), specialization);
        if (!Enum.IsDefined(filter))
        {
            throw new InvalidInputException(nameof(filter), $"'{filter}' is not an agent filter (use any, alive or idle).");
        }

        if (limit is < 1 or > MeshLimits.MaxPage)
        {
            throw new InvalidInputException(nameof(limit), $"must be between 1 and {MeshLimits.MaxPage} (got {limit}).");
        }

        var registry = GrainFactory.GetGrain<ISpecializationGrain>(specialization);
        var found = new List<FoundAgent>(limit);
        var after = afterAgentId;
        while (found.Count < limit)
        {
            var batch = await registry.ListAsync(after, limit, cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            var leases = await Task.WhenAll(batch.Select(a => LeaseOfAsync(LeaseKey.ForAgent(a.AgentId), cancellationToken)));
            found.AddRange(batch.Zip(leases)
                .Where(x => filter switch
                {
                    AgentFilter.Alive => x.Second is { Health: LeaseHealth.Alive },
                    AgentFilter.Idle => x.First.Status == AgentStatus.Idle,
                    _ => true,
                })
                .Select(x => new FoundAgent(x.First.AgentId, x.First.Status, x.Second))
                .Take(limit - found.Count));
            after = batch[^1].AgentId;
        }

        return found;
    }

    public Task<IReadOnlyList<SpecializationCount>> ListSpecializationsAsync(CancellationToken cancellationToken = default) =>
        GrainFactory.GetGrain<ISpecializationDirectoryGrain>(0).ListAsync(cancellationToken);

    public async Task<MeshStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var sessions = catalog.GetStatsAsync(cancellationToken);
        var events = counters.ReadAsync(cancellationToken);
        await Task.WhenAll(sessions, events);
        var counts = await events;
        return new MeshStats(
            await sessions,
            counts.GetValueOrDefault(MeshCounterNames.SessionsExpired),
            counts.GetValueOrDefault(MeshCounterNames.AgentsLost),
            counts.GetValueOrDefault(MeshCounterNames.AgentsKilled));
    }

    private static LeaseHealth Health(DiscoveryFilter filter) => filter switch
    {
        DiscoveryFilter.Alive => LeaseHealth.Alive,
        DiscoveryFilter.Stalled => LeaseHealth.Stalled,
        _ => LeaseHealth.Stale,
    };

    /// <summary>The agents a query is narrowed to, or null for every agent.</summary>
    private async Task<IReadOnlyCollection<string>?> AgentsAsync(DiscoveryQuery query, CancellationToken cancellationToken)
    {
        if (query.AgentId is { } agentId)
        {
            return [Validate.Id(nameof(query.AgentId), agentId)];
        }

        if (query.Specialization is not { } specialization)
        {
            return null;
        }

        Validate.Id(nameof(specialization), specialization);
        var agents = await GrainFactory.GetGrain<ISpecializationGrain>(specialization).ListAsync(null, MeshLimits.MaxBatchRead, cancellationToken);
        return [.. agents.Select(a => a.AgentId)];
    }

    /// <summary>Alive or stale sessions of the whole mesh: a merge of every shard's ordered answer.</summary>
    private async Task<DiscoveryPage> FromLeasesAsync(LeaseHealth health, DiscoveryQuery query, CancellationToken cancellationToken)
    {
        var after = PageCursor.ReadLeases(query.Cursor);
        var perShard = await Task.WhenAll(Enumerable.Range(0, LivenessShards.Count).Select(shard =>
            ShardReferences.For<ILivenessShardGrain>(GrainFactory, shard).QueryAsync(LeaseKind.Session, health, after, query.Limit + 1, cancellationToken)));
        var merged = perShard.SelectMany(x => x).OrderBy(l => l.Key.Id, StringComparer.Ordinal).Take(query.Limit + 1).ToList();
        var page = merged.Take(query.Limit).ToList();
        var sessions = await SessionReads.ReadAsync(GrainFactory, catalog, [.. page.Select(l => Guid.ParseExact(l.Key.Id, "N"))], cancellationToken);
        var found = page.Zip(sessions)
            .Where(x => x.Second is { Status: SessionStatus.Active })
            .Select(x => new DiscoveredSession(x.Second!, x.First))
            .ToList();
        return new DiscoveryPage(found, merged.Count > query.Limit ? PageCursor.ForLeases(page[^1].Key.Id) : null);
    }

    /// <summary>Sessions from the catalog, with their leases; with a health, only those whose lease has it.</summary>
    private async Task<DiscoveryPage> FromCatalogAsync(SessionStatus? status, IReadOnlyCollection<string>? agents, LeaseHealth? health, DiscoveryQuery query, CancellationToken cancellationToken)
    {
        if (agents is { Count: 0 })
        {
            return new DiscoveryPage([], null);
        }

        var after = PageCursor.ReadCatalog(query.Cursor);
        var found = new List<DiscoveredSession>(query.Limit);
        while (true)
        {
            var entries = await catalog.ListAsync(status, agents, query.Limit + 1, after, cancellationToken);
            var batch = entries.Take(query.Limit).ToList();
            var sessions = await SessionReads.ReadAsync(GrainFactory, catalog, [.. batch.Select(e => e.SessionId)], cancellationToken);
            var leases = await Task.WhenAll(batch.Select(e => LeaseOfAsync(LeaseKey.ForSession(e.SessionId), cancellationToken)));
            for (var i = 0; i < batch.Count; i++)
            {
                if (sessions[i] is { } session && (health is null || leases[i]?.Health == health))
                {
                    found.Add(new DiscoveredSession(session, leases[i]));
                    if (found.Count == query.Limit)
                    {
                        var more = i < batch.Count - 1 || entries.Count > query.Limit;
                        return new DiscoveryPage(found, more ? PageCursor.ForCatalog(batch[i]) : null);
                    }
                }
            }

            if (entries.Count <= query.Limit)
            {
                return new DiscoveryPage(found, null);
            }

            after = batch[^1];
        }
    }

    private Task<LeaseInfo?> LeaseOfAsync(LeaseKey key, CancellationToken cancellationToken) =>
        LivenessShards.For(GrainFactory, key).GetAsync(key, cancellationToken);
}
