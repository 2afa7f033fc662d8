using System.Threading.Channels;

namespace SessionMesh.Silo.Api;

/// <summary>
/// A grain observer that feeds one HTTP event stream: subscribed when created, renewed before the
/// grain's one-minute observer expiry, unsubscribed and released when the stream ends.
/// </summary>
internal sealed class ObserverStream<TObserver> : IAsyncDisposable
    where TObserver : class, IGrainObserver
{
    /// <summary>Grains forget an observer after a minute unless it subscribes again.</summary>
    private static readonly TimeSpan Renewal = TimeSpan.FromSeconds(30);

    private readonly IGrainFactory _grains;

    // Held strongly: the runtime keeps observers only weakly, so the object must live as long as the stream.
    private readonly TObserver _observer;
    private readonly Func<TObserver, CancellationToken, Task> _subscribe;
    private readonly Func<TObserver, CancellationToken, Task> _unsubscribe;
    private DateTime _subscribedAt;

    private ObserverStream(IGrainFactory grains, TObserver observer, Func<TObserver, CancellationToken, Task> subscribe, Func<TObserver, CancellationToken, Task> unsubscribe)
    {
        _grains = grains;
        _observer = observer;
        _subscribe = subscribe;
        _unsubscribe = unsubscribe;
        Reference = grains.CreateObjectReference<TObserver>(observer);
    }

    /// <summary>The reference the grain pushes to.</summary>
    public TObserver Reference { get; }

    /// <summary>Creates the reference and subscribes it; on failure nothing is left behind.</summary>
    public static async Task<ObserverStream<TObserver>> SubscribeAsync(
        IGrainFactory grains, TObserver observer, Func<TObserver, CancellationToken, Task> subscribe, Func<TObserver, CancellationToken, Task> unsubscribe, CancellationToken cancellationToken)
    {
        var stream = new ObserverStream<TObserver>(grains, observer, subscribe, unsubscribe);
        try
        {
            await subscribe(stream.Reference, cancellationToken);
            stream._subscribedAt = DateTime.UtcNow;
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Subscribes again when the last subscription is half-way to its expiry.</summary>
    public async Task RenewIfDueAsync(CancellationToken cancellationToken)
    {
        if (DateTime.UtcNow - _subscribedAt > Renewal)
        {
            await _subscribe(Reference, cancellationToken);
            _subscribedAt = DateTime.UtcNow;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _unsubscribe(Reference, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The grain forgets the observer after a minute anyway.
        }

        try
        {
            _grains.DeleteObjectReference<TObserver>(Reference);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }

        GC.KeepAlive(_observer);
    }
}

/// <summary>Reads for event streams that must also send keep-alives while idle.</summary>
internal static class ChannelReads
{
    /// <summary>The next item, or null when none came within <paramref name="timeout"/>.</summary>
    public static async Task<T?> ReadOrTimeoutAsync<T>(this ChannelReader<T> reader, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        if (reader.TryRead(out var ready))
        {
            return ready;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            return await reader.WaitToReadAsync(timer.Token) && reader.TryRead(out var next) ? next : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
