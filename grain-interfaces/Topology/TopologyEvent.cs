namespace SessionMesh.Topology;

/// <summary>What happened in the mesh.</summary>
[GenerateSerializer, Alias("sessionmesh.topology-event-kind")]
public enum TopologyEventKind
{
    SessionSpawned = 0,
    SessionHandedOff = 1,
    SessionCompleted = 2,
    SessionFailed = 3,
    SessionExpired = 4,
    AgentRegistered = 5,
    AgentSteered = 6,
    AgentKilled = 7,
    AgentLost = 8,
}

/// <summary>One change in the mesh, published on the topology stream for live views.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.topology-event")]
public sealed record TopologyEvent(
    [property: Id(0)] TopologyEventKind Kind,
    [property: Id(1)] string Subject,
    [property: Id(2)] string? Detail,
    [property: Id(3)] DateTimeOffset At);

/// <summary>Where topology events are published.</summary>
public static class TopologyStream
{
    /// <summary>The stream provider name the silo and clients register.</summary>
    public const string Provider = "mesh";

    /// <summary>The stream namespace and key every topology event goes to.</summary>
    public const string Namespace = "topology";

    public const string Key = "mesh";
}
