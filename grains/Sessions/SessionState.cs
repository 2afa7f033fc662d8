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

    /// <summary>
    /// A handoff recorded but not yet finished (child made, parent not yet HandedOff); null when none.
    /// Written by builds before handoffs became one transaction; still finished when found.
    /// </summary>
    [Id(2)] public HandoffIntent? PendingHandoff { get; set; }

    /// <summary>
    /// Never stored (it has no [Id]): while a handoff's child writes its first state, the parent's
    /// next state, which the storage writes in the same transaction or not at all.
    /// </summary>
    [field: NonSerialized]
    public HandoffParentWrite? WrittenWith { get; set; }
}

/// <summary>
/// The parent's side of a handoff, handed to the child so that the child's row and the parent's
/// HandedOff commit as one transaction: <see cref="ParentState"/> is written only if the parent's row
/// is still at <see cref="ExpectedVersion"/>, so a parent changed meanwhile fails the whole handoff.
/// </summary>
[GenerateSerializer, Alias("sessionmesh.handoff-parent-write")]
public sealed record HandoffParentWrite
{
    [Id(0)] public required Guid ParentId { get; init; }

    [Id(1)] public required SessionState ParentState { get; init; }

    /// <summary>The parent row's version (its ETag) the handoff was decided on.</summary>
    [Id(2)] public required string? ExpectedVersion { get; init; }
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
