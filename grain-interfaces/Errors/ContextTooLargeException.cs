namespace SessionMesh.Errors;

/// <summary>A session's context, inherited results included, would exceed <see cref="MeshLimits.MaxContextBytes"/>.</summary>
[GenerateSerializer, Alias("sessionmesh.error.context-too-large")]
public sealed class ContextTooLargeException : SessionMeshException
{
    public ContextTooLargeException(int bytes, int limit)
        : base($"The session context would be {bytes} bytes serialized (inherited results included); the limit is {limit} bytes ({limit / 1024} KiB).")
    {
        Bytes = bytes;
        Limit = limit;
    }

    [Id(0)] public int Bytes { get; private set; }

    [Id(1)] public int Limit { get; private set; }
}
