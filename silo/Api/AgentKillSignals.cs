using System.Collections.Concurrent;
using Orleans.Streams;
using SessionMesh.Topology;

namespace SessionMesh.Silo.Api;

/// <summary>
/// Tells this silo's open directive streams when their agent was killed (a forced kill issues no
/// directive). One subscription to the topology stream per silo, dispatched by agent id, so an event
/// costs the streams of that agent only, not every open stream.
/// </summary>
public sealed partial class AgentKillSignals(IClusterClient client, ILogger<AgentKillSignals> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, Action>> _waiting = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _subscribing = new(1, 1);
    private volatile bool _subscribed;
    private StreamSubscriptionHandle<TopologyEvent>? _subscription;

    /// <summary>Calls <paramref name="onKilled"/> once the agent is killed; dispose the result to stop waiting.</summary>
    public async Task<IDisposable> WatchAsync(string agentId, Action onKilled, CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync(cancellationToken);
        var id = Guid.NewGuid();
        _waiting.GetOrAdd(agentId, _ => new())[id] = onKilled;
        return new Registration(() =>
        {
            if (_waiting.TryGetValue(agentId, out var forAgent))
            {
                forAgent.TryRemove(id, out _);
            }
        });
    }

    private async Task EnsureSubscribedAsync(CancellationToken cancellationToken)
    {
        if (_subscribed)
        {
            return;
        }

        await _subscribing.WaitAsync(cancellationToken);
        try
        {
            if (!_subscribed)
            {
                var stream = client.GetStreamProvider(TopologyStream.Provider)
                    .GetStream<TopologyEvent>(StreamId.Create(TopologyStream.Namespace, TopologyStream.Key));
                _subscription = await stream.SubscribeAsync((e, _) =>
                {
                    if (e.Kind == TopologyEventKind.AgentKilled && _waiting.TryGetValue(e.Subject, out var forAgent))
                    {
                        foreach (var onKilled in forAgent.Values)
                        {
                            onKilled();
                        }
                    }

                    return Task.CompletedTask;
                });
                _subscribed = true;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Streams then learn of a forced kill from the runner's next heartbeat (409) instead.
            LogSubscribeFailed(logger, ex);
        }
        finally
        {
            _subscribing.Release();
        }
    }

    public void Dispose() => _subscribing.Dispose();

    private sealed class Registration(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to topology events; directive streams will not announce forced kills.")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception);
}
