namespace SessionMesh.Topology;

/// <summary>A topology event with its position in the recent-events log.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.logged-topology-event")]
public sealed record LoggedTopologyEvent([property: Id(0)] long Sequence, [property: Id(1)] TopologyEvent Event);

/// <summary>
/// The most recent topology events (a bounded, in-memory window fed by the topology stream), for
/// views that poll instead of subscribing, such as `session-mesh watch`. Key: the stream key "mesh".
/// </summary>
[Alias("SessionMesh.Topology.ITopologyLogGrain")]
public interface ITopologyLogGrain : IGrainWithStringKey
{
    /// <summary>Events after a sequence number, oldest first (at most the window's size).</summary>
    [Alias("read")]
    Task<IReadOnlyList<LoggedTopologyEvent>> ReadAsync(long afterSequence, CancellationToken cancellationToken = default);
}
