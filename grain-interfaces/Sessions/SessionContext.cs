namespace SessionMesh.Sessions;

/// <summary>The working context a session carries and hands to its successor.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.session-context")]
public sealed record SessionContext
{
    /// <summary>The issue the work belongs to, if any.</summary>
    [Id(0)] public ulong? IssueNumber { get; init; }

    /// <summary>The pipeline phase the session works on.</summary>
    [Id(1)] public Phase CurrentPhase { get; init; }

    /// <summary>The worktree the session works in, if any.</summary>
    [Id(2)] public string? WorktreePath { get; init; }

    /// <summary>Results of the sessions before this one, oldest first.</summary>
    [Id(3)] public IReadOnlyList<AgentResult> PreviousResults { get; init; } = [];
}
