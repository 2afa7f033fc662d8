namespace SessionMesh.Grains.Liveness;

/// <summary>Durable event counters (sessions expired, agents lost, agents killed), bumped once per transition.</summary>
public interface IMeshCounters
{
    Task IncrementAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>The counter names.</summary>
public static class MeshCounterNames
{
    public const string SessionsExpired = "sessions.expired";
    public const string AgentsLost = "agents.lost";
    public const string AgentsKilled = "agents.killed";
}
