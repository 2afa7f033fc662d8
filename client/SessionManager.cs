using SessionMesh.Sessions;

namespace SessionMesh.Client;

/// <summary>
/// The session API in the shape of the miyabi session manager: spawn, hand off, read, finish.
/// A thin facade over the grains; every rule is enforced by the session grains themselves.
/// </summary>
public sealed class SessionManager(IGrainFactory grains)
{
    private ISessionDirectoryGrain Directory => grains.GetGrain<ISessionDirectoryGrain>(0);

    /// <summary>Starts a new Active session for an agent and returns its id.</summary>
    public async Task<Guid> SpawnAgentSessionAsync(string agentName, string purpose, SessionContext context, string? agentId = null, TimeSpan? leaseTtl = null, CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid();
        var spawn = new SessionSpawn { AgentName = agentName, Purpose = purpose, Context = context, AgentId = agentId, LeaseTtl = leaseTtl };
        await grains.GetGrain<ISessionGrain>(id).StartAsync(spawn, cancellationToken);
        return id;
    }

    /// <summary>Hands an Active session off to another agent and returns the new (child) session's id.</summary>
    public async Task<Guid> HandoffAsync(Guid fromSessionId, string toAgent, SessionContext updatedContext, string? purpose = null, CancellationToken cancellationToken = default)
    {
        var handoff = new SessionHandoff { ToAgent = toAgent, Context = updatedContext, Purpose = purpose };
        var child = await grains.GetGrain<ISessionGrain>(fromSessionId).HandoffAsync(handoff, cancellationToken);
        return child.Id;
    }

    /// <summary>Reads one session.</summary>
    public Task<SessionSnapshot> GetSessionAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        grains.GetGrain<ISessionGrain>(sessionId).GetAsync(cancellationToken);

    /// <summary>The chain from the root session down to this one (root first, this one last).</summary>
    public Task<IReadOnlyList<SessionSnapshot>> GetSessionLineageAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        Directory.GetLineageAsync(sessionId, cancellationToken);

    /// <summary>Every session handed off below this one, breadth first.</summary>
    public Task<IReadOnlyList<SessionSnapshot>> GetDescendantsAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        Directory.GetDescendantsAsync(sessionId, cancellationToken);

    /// <summary>Active sessions, newest first, one page at a time.</summary>
    public Task<SessionPage> ListActiveSessionsAsync(int limit = 100, string? cursor = null, CancellationToken cancellationToken = default) =>
        Directory.ListAsync(SessionStatus.Active, limit, cursor, cancellationToken);

    /// <summary>Sessions with a status (all when null), newest first, one page at a time.</summary>
    public Task<SessionPage> ListSessionsAsync(SessionStatus? status, int limit = 100, string? cursor = null, CancellationToken cancellationToken = default) =>
        Directory.ListAsync(status, limit, cursor, cancellationToken);

    /// <summary>Marks an Active session Completed.</summary>
    public Task CompleteSessionAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        grains.GetGrain<ISessionGrain>(sessionId).CompleteAsync(cancellationToken);

    /// <summary>Marks an Active session Failed with an error.</summary>
    public Task FailSessionAsync(Guid sessionId, string error, CancellationToken cancellationToken = default) =>
        grains.GetGrain<ISessionGrain>(sessionId).FailAsync(error, cancellationToken);

    /// <summary>Counts of sessions by status.</summary>
    public Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        Directory.GetStatsAsync(cancellationToken);
}
