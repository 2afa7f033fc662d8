using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Topology;

/// <summary>
/// One item of a live topology feed: a numbered event, or (with no event) a reset to
/// <see cref="Sequence"/>, meaning events were lost and the reader must reload what it shows.
/// </summary>
public readonly record struct TopologyUpdate(long Sequence, TopologyEvent? Event);

/// <summary>
/// The silo's single subscriber to the topology log: one observer registration per silo, renewed
/// on a timer, and an in-process fan-out to every live view on this silo (server-sent event
/// streams). It keeps the feed gap-free: a jump in sequence numbers is filled from the log's
/// window, and what cannot be filled (the log restarted, or fell too far ahead) becomes a reset.
/// Readers that fall behind by <see cref="ReaderBuffer"/> updates are dropped (their feed ends) and
/// resume from the window when they reconnect, so a slow client never slows the others.
/// </summary>
public sealed partial class TopologyFanOut : ITopologyObserver, IAsyncDisposable
{
    /// <summary>Updates buffered per reader before it is dropped as too slow.</summary>
    public const int ReaderBuffer = 8192;

    /// <summary>How often the silo renews its registration (well inside <see cref="TopologyLogGrain.ObserverLease"/>).</summary>
    public static readonly TimeSpan RenewPeriod = TimeSpan.FromSeconds(15);

    private readonly IGrainFactory _grains;
    private readonly TimeProvider _clock;
    private readonly ILogger<TopologyFanOut> _logger;
    private readonly Channel<Work> _inbox = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _readersLock = new();
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private ImmutableReaders _readers = new([]);
    private ITopologyObserver? _reference;
    private Task? _loop;
    private Task? _renewal;
    private long _last;

    /// <param name="grains">Reaches the topology log.</param>
    /// <param name="clock">The mesh's clock (<see cref="MeshClock"/>): it paces the renewals.</param>
    /// <param name="logger">Where failed renewals are reported.</param>
    public TopologyFanOut(IGrainFactory grains, [FromKeyedServices(MeshClock.Key)] TimeProvider clock, ILogger<TopologyFanOut> logger)
    {
        _grains = grains;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The last sequence this silo has passed on (0 before its first registration).</summary>
    public long LastSequence => Interlocked.Read(ref _last);

    private ITopologyLogGrain Log => _grains.GetGrain<ITopologyLogGrain>(TopologyStream.Key);

    /// <summary>
    /// A new live feed of every update from now on. The silo registers with the log on the first
    /// call. Dispose the feed to stop; its reader completes if it falls too far behind.
    /// </summary>
    public async Task<TopologyFeed> SubscribeAsync(CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken);
        var channel = Channel.CreateBounded<TopologyUpdate>(new BoundedChannelOptions(ReaderBuffer) { SingleReader = true, SingleWriter = true });
        var feed = new TopologyFeed(this, channel);
        lock (_readersLock)
        {
            _readers = new ImmutableReaders([.. _readers.Feeds, feed]);
        }

        return feed;
    }

    /// <summary>Events after a sequence from the log's retained window (or a reset), or the head with no sequence.</summary>
    public Task<TopologyWindow> ReadAsync(long? afterSequence, int limit, CancellationToken cancellationToken) =>
        Log.ReadWindowAsync(afterSequence, limit, cancellationToken);

    Task ITopologyObserver.OnEventsAsync(IReadOnlyList<LoggedTopologyEvent> events)
    {
        _inbox.Writer.TryWrite(new Work(events, null));
        return Task.CompletedTask;
    }

    internal void Remove(TopologyFeed feed)
    {
        lock (_readersLock)
        {
            _readers = new ImmutableReaders([.. _readers.Feeds.Where(f => f != feed)]);
        }
    }

    private async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (_loop is not null)
        {
            return;
        }

        await _startLock.WaitAsync(cancellationToken);
        try
        {
            if (_loop is not null)
            {
                return;
            }

            _reference = _grains.CreateObjectReference<ITopologyObserver>(this);
            var head = await Log.SubscribeAsync(_reference, cancellationToken);
            Interlocked.Exchange(ref _last, head);
            _loop = Task.Run(ProcessAsync, CancellationToken.None);
            _renewal = Task.Run(RenewAsync, CancellationToken.None);
        }
        finally
        {
            _startLock.Release();
        }
    }

    private async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(RenewPeriod, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    var head = await Log.SubscribeAsync(_reference!, _stopping.Token);
                    _inbox.Writer.TryWrite(new Work(null, head));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The log's silo may be gone; the next renewal reaches its new activation.
                    LogRenewFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ProcessAsync()
    {
        try
        {
            await foreach (var work in _inbox.Reader.ReadAllAsync(_stopping.Token))
            {
                try
                {
                    await HandleAsync(work);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFeedFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(Work work)
    {
        if (work.Head is { } head)
        {
            // A renewal: a lower head means the log restarted; a higher one, that pushes were missed.
            if (head < _last)
            {
                Publish(new TopologyUpdate(head, null));
            }
            else if (head > _last)
            {
                await CatchUpAsync();
            }

            return;
        }

        foreach (var logged in work.Events!)
        {
            if (logged.Sequence <= _last)
            {
                continue;
            }

            if (logged.Sequence != _last + 1)
            {
                await CatchUpAsync();
                if (logged.Sequence <= _last)
                {
                    continue;
                }

                if (logged.Sequence != _last + 1)
                {
                    // Still not contiguous (a new life of the log): readers reload.
                    Publish(new TopologyUpdate(logged.Sequence - 1, null));
                }
            }

            Publish(new TopologyUpdate(logged.Sequence, logged.Event));
        }
    }

    /// <summary>Fills the gap after <see cref="_last"/> from the log's window, or resets the readers.</summary>
    private async Task CatchUpAsync()
    {
        while (true)
        {
            var window = await Log.ReadWindowAsync(_last, TopologyLogGrain.Window, _stopping.Token);
            if (window.Reset)
            {
                Publish(new TopologyUpdate(window.Head, null));
                return;
            }

            foreach (var logged in window.Events)
            {
                Publish(new TopologyUpdate(logged.Sequence, logged.Event));
            }

            if (window.Events.Count == 0 || _last >= window.Head)
            {
                return;
            }
        }
    }

    private void Publish(TopologyUpdate update)
    {
        Interlocked.Exchange(ref _last, update.Sequence);
        foreach (var feed in _readers.Feeds)
        {
            feed.Offer(update);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _inbox.Writer.TryComplete();
        if (_loop is not null)
        {
            await Task.WhenAll(_loop, _renewal!);
        }

        if (_reference is not null)
        {
            try
            {
                await Log.UnsubscribeAsync(_reference).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Shutting down: the registration lapses on its own.
            }

            _grains.DeleteObjectReference<ITopologyObserver>(_reference);
        }

        _stopping.Dispose();
        _startLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing this silo's topology subscription failed; retrying.")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Passing on topology events failed.")]
    private static partial void LogFeedFailed(ILogger logger, Exception exception);

    private sealed record Work(IReadOnlyList<LoggedTopologyEvent>? Events, long? Head);

    private sealed record ImmutableReaders(TopologyFeed[] Feeds);
}

/// <summary>One reader's live topology feed on this silo.</summary>
public sealed class TopologyFeed : IDisposable
{
    private readonly TopologyFanOut _owner;
    private readonly Channel<TopologyUpdate> _channel;

    internal TopologyFeed(TopologyFanOut owner, Channel<TopologyUpdate> channel)
    {
        _owner = owner;
        _channel = channel;
    }

    /// <summary>The updates; completes when the reader fell too far behind or the silo stops.</summary>
    public ChannelReader<TopologyUpdate> Updates => _channel.Reader;

    internal void Offer(TopologyUpdate update)
    {
        if (!_channel.Writer.TryWrite(update))
        {
            // Too slow: end this feed rather than hold up the silo; the reader resumes from the window.
            _channel.Writer.TryComplete(new TopologyFeedOverflowException());
            _owner.Remove(this);
        }
    }

    public void Dispose()
    {
        _channel.Writer.TryComplete();
        _owner.Remove(this);
    }
}

/// <summary>A live feed ended because its reader fell too far behind.</summary>
public sealed class TopologyFeedOverflowException : Exception
{
    public TopologyFeedOverflowException()
        : base("The reader fell too far behind the topology feed.")
    {
    }

    public TopologyFeedOverflowException(string message)
        : base(message)
    {
    }

    public TopologyFeedOverflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Registers the per-silo topology fan-out.</summary>
public static class TopologyFanOutExtensions
{
    public static IServiceCollection AddTopologyFanOut(this IServiceCollection services) =>
        services.AddSingleton<TopologyFanOut>();
}
