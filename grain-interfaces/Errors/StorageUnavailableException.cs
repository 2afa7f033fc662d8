namespace SessionMesh.Errors;

/// <summary>
/// The database did not answer (down, restarting, unreachable). Transient: the call changed nothing
/// it reported, and may be retried. Raised in place of driver exceptions, which cannot cross silos.
/// </summary>
[GenerateSerializer, Alias("sessionmesh.error.storage-unavailable")]
public sealed class StorageUnavailableException : SessionMeshException
{
    public StorageUnavailableException(string detail)
        : base($"Storage is unavailable: {detail}") => Detail = detail;

    [Id(0)] public string Detail { get; private set; }
}
