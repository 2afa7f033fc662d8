namespace SessionMesh.Sessions;

/// <summary>How many sessions exist, in total and by status.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.session-stats")]
public sealed record SessionStats(
    [property: Id(0)] long Total,
    [property: Id(1)] long Active,
    [property: Id(2)] long HandedOff,
    [property: Id(3)] long Completed,
    [property: Id(4)] long Failed);
