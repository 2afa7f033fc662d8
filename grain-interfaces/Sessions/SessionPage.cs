namespace SessionMesh.Sessions;

/// <summary>One page of a session listing, newest first.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.session-page")]
public sealed record SessionPage(
    [property: Id(0)] IReadOnlyList<SessionSnapshot> Sessions,
    [property: Id(1)] string? NextCursor);
