namespace SessionMesh.Liveness;

/// <summary>Whose lease it is.</summary>
[GenerateSerializer, Alias("sessionmesh.lease-kind")]
public enum LeaseKind
{
    Session = 0,
    Agent = 1,
}

/// <summary>Identifies one heartbeat lease: a session (id in "N" form) or an agent (its id).</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.lease-key")]
public readonly record struct LeaseKey([property: Id(0)] LeaseKind Kind, [property: Id(1)] string Id)
{
    public static LeaseKey ForSession(Guid sessionId) => new(LeaseKind.Session, sessionId.ToString("N"));

    public static LeaseKey ForAgent(string agentId) => new(LeaseKind.Agent, agentId);

    /// <summary>The liveness shard that tracks this lease: a stable hash of the key, so every silo agrees.</summary>
    public int Shard
    {
        get
        {
            // FNV-1a over the kind and UTF-16 code units: stable across processes (string.GetHashCode is not).
            var hash = 2166136261u ^ (uint)Kind;
            foreach (var c in Id)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return (int)(hash % LivenessShards.Count);
        }
    }
}

/// <summary>One heartbeat of a batch (<see cref="ILivenessShardGrain.RenewTrackedAsync"/>).</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.lease-renewal")]
public readonly record struct LeaseRenewal([property: Id(0)] LeaseKey Key, [property: Id(1)] long Epoch, [property: Id(2)] TimeSpan? Ttl);
