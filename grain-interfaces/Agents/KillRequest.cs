namespace SessionMesh.Agents;

/// <summary>How to kill an agent.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.kill-request")]
public sealed record KillRequest
{
    /// <summary>Killed at once, without waiting for an acknowledgement.</summary>
    [Id(0)] public bool Force { get; init; }

    /// <summary>Fail the Active sessions descended from the agent's sessions too (default).</summary>
    [Id(1)] public bool Cascade { get; init; } = true;

    /// <summary>How long a graceful kill waits for the acknowledgement (default 30 s).</summary>
    [Id(2)] public TimeSpan? Grace { get; init; }
}
