using Orleans.Streams;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Topology;

/// <summary>Keeps the last <see cref="Window"/> topology events, numbered, from an implicit stream subscription.</summary>
[ImplicitStreamSubscription(TopologyStream.Namespace)]
[GrainType("topologylog")]
public sealed class TopologyLogGrain : Grain, ITopologyLogGrain
{
    public const int Window = 500;

    private readonly LinkedList<LoggedTopologyEvent> _events = new();
    private long _sequence;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(TopologyStream.Provider)
            .GetStream<TopologyEvent>(StreamId.Create(TopologyStream.Namespace, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((e, _) =>
        {
            _events.AddLast(new LoggedTopologyEvent(++_sequence, e));
            if (_events.Count > Window)
            {
                _events.RemoveFirst();
            }

            return Task.CompletedTask;
        });
    }

    public Task<IReadOnlyList<LoggedTopologyEvent>> ReadAsync(long afterSequence, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<LoggedTopologyEvent> events = [.. _events.Where(e => e.Sequence > afterSequence)];
        return Task.FromResult(events);
    }
}
