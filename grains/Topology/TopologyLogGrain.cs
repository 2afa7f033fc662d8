using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Utilities;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Topology;

/// <summary>
/// Numbers every topology event of the cluster, keeps the last <see cref="Window"/> of them in a
/// ring, and pushes each to the per-silo observers (see <see cref="ITopologyLogGrain"/>). Fed by an
/// implicit subscription to the topology stream, so it is the one place sequences come from.
/// Memory only: a reactivation starts a new numbering, which readers detect as a reset.
/// </summary>
[ImplicitStreamSubscription(TopologyStream.Namespace)]
[GrainType("topologylog")]
public sealed class TopologyLogGrain : Grain, ITopologyLogGrain
{
    /// <summary>How many events are retained for polling and for resuming streams (about 40 s at 50 events/s).</summary>
    public const int Window = 2048;

    /// <summary>A silo observer that has not renewed its registration in this long is dropped.</summary>
    public static readonly TimeSpan ObserverLease = TimeSpan.FromMinutes(1);

    private readonly LoggedTopologyEvent?[] _ring = new LoggedTopologyEvent?[Window];
    private readonly ObserverManager<ITopologyObserver> _observers;
    private readonly TimeProvider _clock;
    private long _head;
    private int _count;

    public TopologyLogGrain(ILogger<TopologyLogGrain> logger, [FromKeyedServices(MeshClock.Key)] TimeProvider clock)
    {
        _clock = clock;
        _observers = new ObserverManager<ITopologyObserver>(ObserverLease, logger);
    }

    /// <summary>The first sequence number of this life: time-based so it is above any earlier life's numbers.</summary>
    private long First => _head - _count + 1;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _head = _clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        var stream = this.GetStreamProvider(TopologyStream.Provider)
            .GetStream<TopologyEvent>(StreamId.Create(TopologyStream.Namespace, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((e, _) =>
        {
            var logged = new LoggedTopologyEvent(++_head, e);
            _ring[_head % Window] = logged;
            _count = Math.Min(_count + 1, Window);
            if (_observers.Count > 0)
            {
                IReadOnlyList<LoggedTopologyEvent> batch = [logged];
                _observers.Notify(o => o.OnEventsAsync(batch));
            }

            return Task.CompletedTask;
        });
    }

    public Task<IReadOnlyList<LoggedTopologyEvent>> ReadAsync(long afterSequence, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<LoggedTopologyEvent>>(Slice(Math.Max(afterSequence, First - 1), Window));

    public Task<TopologyWindow> ReadWindowAsync(long? afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        if (afterSequence is not { } after)
        {
            return Task.FromResult(new TopologyWindow(_head, false, []));
        }

        // A number above the head was given by an earlier life; one below First - 1 fell out of the window.
        if (after > _head || after < First - 1)
        {
            return Task.FromResult(new TopologyWindow(_head, true, []));
        }

        return Task.FromResult(new TopologyWindow(_head, false, Slice(after, Math.Clamp(limit, 1, Window))));
    }

    public Task<long> SubscribeAsync(ITopologyObserver observer, CancellationToken cancellationToken = default)
    {
        _observers.ClearExpired();
        _observers.Subscribe(observer, observer);
        return Task.FromResult(_head);
    }

    public Task UnsubscribeAsync(ITopologyObserver observer, CancellationToken cancellationToken = default)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    /// <summary>Retained events after <paramref name="after"/> (which is within [First - 1, head]), oldest first.</summary>
    private List<LoggedTopologyEvent> Slice(long after, int limit)
    {
        var events = new List<LoggedTopologyEvent>((int)Math.Min(limit, Math.Max(0, _head - after)));
        for (var sequence = after + 1; sequence <= _head && events.Count < limit; sequence++)
        {
            events.Add(_ring[sequence % Window]!);
        }

        return events;
    }
}
