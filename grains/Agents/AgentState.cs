using SessionMesh.Agents;

namespace SessionMesh.Grains.Agents;

/// <summary>What an agent grain persists (small and bounded: directives live in their own rows).</summary>
[GenerateSerializer, Alias("sessionmesh.agent-state")]
public sealed class AgentState
{
    /// <summary>The agent as last written; null until registered.</summary>
    [Id(0)] public AgentSnapshot? Agent { get; set; }

    /// <summary>
    /// Directives as stored before they moved to their own rows. Read once on activation, moved to
    /// the directive store and emptied; never written again.
    /// </summary>
    [Id(1)] public List<Directive> Directives { get; set; } = [];

    /// <summary>Sessions the agent ran, most recent last (bounded): where a kill cascades from.</summary>
    [Id(2)] public List<Guid> Sessions { get; set; } = [];

    /// <summary>Whether the pending graceful kill cascades to descendant sessions.</summary>
    [Id(3)] public bool CascadeOnKill { get; set; }

    /// <summary>The recorded, unfinished follow-through of a kill; null when none.</summary>
    [Id(4)] public KillIntent? PendingKill { get; set; }

    /// <summary>The sequence of the kill directive of a graceful kill (0 when none): acknowledging it ends the drain.</summary>
    [Id(5)] public long KillSequence { get; set; }
}

/// <summary>
/// A kill's follow-through, written with the Killed status in one state write, and driven to the end
/// by idempotent steps (each step that is not idempotent by itself has its own done-flag).
/// </summary>
[GenerateSerializer, Alias("sessionmesh.kill-intent")]
public sealed class KillIntent
{
    [Id(0)] public required string Reason { get; set; }

    [Id(1)] public bool Cascade { get; set; }

    [Id(2)] public DateTimeOffset At { get; set; }

    /// <summary>agents_killed was incremented.</summary>
    [Id(3)] public bool Counted { get; set; }

    /// <summary>The AgentKilled topology event was published.</summary>
    [Id(4)] public bool Published { get; set; }
}
