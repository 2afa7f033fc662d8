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

    /// <summary>The largest page of lineage or descendant summaries.</summary>
    public const int MaxSummaryPage = 500;
}
