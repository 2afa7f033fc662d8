namespace SessionMesh.Errors;

/// <summary>No session has this id.</summary>
[GenerateSerializer, Alias("sessionmesh.error.session-not-found")]
public sealed class SessionNotFoundException : SessionMeshException
{
    public SessionNotFoundException(Guid sessionId)
        : base($"Session {sessionId} does not exist.") => SessionId = sessionId;

    [Id(0)] public Guid SessionId { get; private set; }
}
