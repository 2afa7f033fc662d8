namespace SessionMesh.Grains;

/// <summary>Names of the grain storage providers the grains use; the host registers them.</summary>
public static class MeshStorage
{
    /// <summary>Durable state of sessions, agents, registries and keys.</summary>
    public const string Name = "mesh";
}
