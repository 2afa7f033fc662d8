namespace SessionMesh.Errors;

/// <summary>No session key has this id.</summary>
[GenerateSerializer, Alias("sessionmesh.error.key-not-found")]
public sealed class SessionKeyNotFoundException : SessionMeshException
{
    public SessionKeyNotFoundException(string keyId)
        : base($"Session key '{keyId}' does not exist.") => KeyId = keyId;

    [Id(0)] public string KeyId { get; private set; }
}
