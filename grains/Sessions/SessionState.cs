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
}
