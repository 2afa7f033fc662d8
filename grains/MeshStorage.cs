namespace SessionMesh.Grains;

/// <summary>Names of the grain storage providers the grains use; the host registers them.</summary>
public static class MeshStorage
{
    /// <summary>Durable state of agents, registries and keys (sessions before migration 014).</summary>
    public const string Name = "mesh";

    /// <summary>
    /// Durable state of sessions, kept in each session's catalog row so that a state change, the
    /// row listings read and the counters commit in one statement.
    /// </summary>
    public const string Sessions = "sessions";

    /// <summary>The state name session grains read and write under (and so the GrainTypeString of their rows from before migration 014).</summary>
    public const string SessionStateName = "session";

    /// <summary>The grain storage Orleans streams keep their subscriptions in (the name Orleans looks for).</summary>
    public const string PubSub = "PubSubStore";
}
