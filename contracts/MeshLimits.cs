namespace SessionMesh;

/// <summary>The mesh's documented size limits, in one place.</summary>
public static class MeshLimits
{
    /// <summary>Directives an agent may have issued but not yet acknowledged; a steer beyond it is refused.</summary>
    public const int MaxUnacknowledgedDirectives = 1000;

    /// <summary>Acknowledged directives kept readable after acknowledgement (older ones are compacted away).</summary>
    public const int RetainedAcknowledgedDirectives = 100;

    /// <summary>The largest session context, inherited results included, in serialized bytes (256 KiB).</summary>
    public const int MaxContextBytes = 256 * 1024;

    /// <summary>The largest page of sessions: listings, discovery, lineage and descendant summaries.</summary>
    public const int MaxPage = 500;

    /// <summary>The largest read of directives or of one registry's agents in one call.</summary>
    public const int MaxBatchRead = 1000;
}
