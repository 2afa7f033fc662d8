using SessionMesh.Sessions;

namespace SessionMesh.Grains.Sessions;

/// <summary>What a session grain persists.</summary>
[GenerateSerializer, Alias("sessionmesh.session-state")]
public sealed class SessionState
{
    /// <summary>The session as last written; null until started.</summary>
    [Id(0)] public SessionSnapshot? Session { get; set; }

    /// <summary>Ids from the root session down to the parent (empty for a root).</summary>
    [Id(1)] public List<Guid> Ancestry { get; set; } = [];

    /// <summary>A handoff recorded but not yet finished (child made, parent not yet HandedOff); null when none.</summary>
    [Id(2)] public HandoffIntent? PendingHandoff { get; set; }
}

/// <summary>
/// A handoff in progress, written to the parent before the child is made. Recovery rolls it forward:
/// the child (same id, same spawn) is made if missing and the parent records it, unless the child is
/// refused for good (e.g. its agent was killed), in which case the intent is dropped and the parent stays Active.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.handoff-intent")]
public sealed record HandoffIntent
{
    [Id(0)] public required Guid ChildId { get; init; }

    [Id(1)] public required SessionSpawn ChildSpawn { get; init; }

    [Id(2)] public required DateTimeOffset At { get; init; }
}
