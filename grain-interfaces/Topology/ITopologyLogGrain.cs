namespace SessionMesh.Topology;

/// <summary>A topology event with its position in the recent-events log.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.logged-topology-event")]
public sealed record LoggedTopologyEvent([property: Id(0)] long Sequence, [property: Id(1)] TopologyEvent Event);

/// <summary>
/// The answer to "what happened after sequence N": the events from the retained window, or
/// <see cref="Reset"/> when N is not in it (it fell out of the window, or it was numbered by an
/// earlier life of the log), in which case the reader must reload what it shows.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.topology-window")]
public sealed record TopologyWindow(
    [property: Id(0)] long Head,
    [property: Id(1)] bool Reset,
    [property: Id(2)] IReadOnlyList<LoggedTopologyEvent> Events);

/// <summary>
/// The cluster-wide numbering of topology events: one activation (key: the stream key "mesh")
/// numbers every event of the topology stream, keeps a bounded window of the latest, and pushes
/// each numbered event to one observer per silo, which fans it out to that silo's live views.
/// Sequence numbers grow strictly within the log's life and start, at each activation, from
/// the activation's time in milliseconds × 1000, so a reader that remembers a number from an
/// earlier life is recognised (its number is not in the window) and told to reset.
/// </summary>
[Alias("SessionMesh.Topology.ITopologyLogGrain")]
public interface ITopologyLogGrain : IGrainWithStringKey
{
    /// <summary>Events after a sequence number, oldest first (at most the window's size).</summary>
    [Alias("read")]
    Task<IReadOnlyList<LoggedTopologyEvent>> ReadAsync(long afterSequence, CancellationToken cancellationToken = default);

    /// <summary>
    /// Events after <paramref name="afterSequence"/> from the retained window (at most
    /// <paramref name="limit"/>, oldest first), or a reset when that number is not in it; with no
    /// number, just the head.
    /// </summary>
    [Alias("read-window")]
    Task<TopologyWindow> ReadWindowAsync(long? afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers (or renews) an observer that is pushed every numbered event; a registration not
    /// renewed within a minute lapses. Returns the head sequence at the time of the call.
    /// </summary>
    [Alias("subscribe")]
    Task<long> SubscribeAsync(ITopologyObserver observer, CancellationToken cancellationToken = default);

    /// <summary>Removes an observer.</summary>
    [Alias("unsubscribe")]
    Task UnsubscribeAsync(ITopologyObserver observer, CancellationToken cancellationToken = default);
}
