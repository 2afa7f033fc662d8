namespace SessionMesh.Grains;

/// <summary>
/// The clock the mesh's grains read for leases, deadlines and timestamps: a keyed
/// <see cref="TimeProvider"/> (the system's unless the host registers another), kept apart from the
/// one the Orleans runtime reads, so a test that moves the mesh's time leaves membership and
/// messaging on real time.
/// </summary>
public static class MeshClock
{
    /// <summary>The service key of the mesh's <see cref="TimeProvider"/>.</summary>
    public const string Key = "sessionmesh";
}
