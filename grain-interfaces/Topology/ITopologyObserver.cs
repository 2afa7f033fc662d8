using Orleans.Concurrency;

namespace SessionMesh.Topology;

/// <summary>Receives numbered topology events from the topology log (one observer per silo).</summary>
[Alias("sessionmesh.topology-observer")]
public interface ITopologyObserver : IGrainObserver
{
    /// <summary>Numbered events, oldest first. One-way: a slow or dead silo never holds up the log.</summary>
    [OneWay, Alias("on-events")]
    Task OnEventsAsync(IReadOnlyList<LoggedTopologyEvent> events);
}
