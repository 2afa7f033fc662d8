namespace SessionMesh.Errors;

/// <summary>
/// The base of every error the mesh raises on purpose. Each kind maps to one HTTP status at the edge.
/// </summary>
[GenerateSerializer, Alias("sessionmesh.error")]
public abstract class SessionMeshException : Exception
{
    protected SessionMeshException(string message) : base(message) { }
}
