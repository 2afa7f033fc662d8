namespace SessionMesh.Errors;

/// <summary>A session with this id was already started with a different spawn.</summary>
[GenerateSerializer, Alias("sessionmesh.error.session-already-exists")]
public sealed class SessionAlreadyExistsException : SessionMeshException
{
    public SessionAlreadyExistsException(Guid sessionId)
        : base($"Session {sessionId} already exists with a different agent or purpose.") => SessionId = sessionId;

    [Id(0)] public Guid SessionId { get; private set; }
}
