using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SessionMesh.Agents;
using SessionMesh.Errors;

namespace SessionMesh.Client;

/// <summary>
/// A hosted agent's directives: pushed by the agent grain to an observer, caught up from storage
/// after the last one queued whenever a push may have been missed (at subscription, on each renewal,
/// at a gap in the sequence), handed out in order, and acknowledged once handed out. Every
/// directive is queued at most once (by sequence), so a push and a catch-up never deliver one twice.
/// </summary>
internal sealed partial class DirectiveFeed : IAsyncDisposable
{
    private const int CatchUpPage = 100;
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly IGrainFactory _grains;
    private readonly IAgentGrain _agent;
    private readonly string _agentId;
    private readonly long _epoch;
    private readonly TimeSpan _renewal;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<AgentStopReason, long> _onKill;

    // Pushes and catch-up requests (null) for the pump, which alone decides what is queued.
    private readonly Channel<Directive?> _incoming = Channel.CreateUnbounded<Directive?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<Directive> _ready = Channel.CreateUnbounded<Directive>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Channel<bool> _handedOut = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Relay _relay;
    private IAgentObserver? _reference;
    private volatile bool _ended;
    private long _queued;
    private long _delivered;
    private long _acknowledged;

    public DirectiveFeed(IGrainFactory grains, string agentId, long epoch, long acknowledgedThrough, TimeSpan renewal, TimeProvider time, ILogger logger, Action<AgentStopReason, long> onKill)
    {
        _grains = grains;
        _agent = grains.GetGrain<IAgentGrain>(agentId);
        _agentId = agentId;
        _epoch = epoch;
        _renewal = renewal;
        _time = time;
        _logger = logger;
        _onKill = onKill;
        _queued = _delivered = _acknowledged = acknowledgedThrough;
        _relay = new Relay(_incoming.Writer);
    }

    /// <summary>Subscribes, then asks for the backlog: a directive issued in between is both pushed and read, and queued once.</summary>
    public async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        _reference = _grains.CreateObjectReference<IAgentObserver>(_relay);
        await _agent.SubscribeAsync(_reference, cancellationToken);
        _incoming.Writer.TryWrite(null);
    }

    /// <summary>Pumps, renews and acknowledges until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(PumpAsync(cancellationToken), RenewAsync(cancellationToken), AcknowledgeAsync(cancellationToken));

    /// <summary>Hands out queued directives in order until the work is stopped.</summary>
    public async IAsyncEnumerable<Directive> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!_ended && await _ready.Reader.WaitToReadAsync(cancellationToken))
        {
            while (!_ended && _ready.Reader.TryRead(out var directive))
            {
                Raise(ref _delivered, directive.Sequence);
                _handedOut.Writer.TryWrite(true);
                yield return directive;
            }
        }
    }

    /// <summary>No more directives are handed out (the work was stopped or has ended).</summary>
    public void EndDelivery()
    {
        _ended = true;
        _ready.Writer.TryComplete();
    }

    /// <summary>Acknowledges what was handed out and not yet acknowledged (after the loops have stopped).</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => AcknowledgeHandedOutAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        EndDelivery();
        if (_reference is { } reference)
        {
            _reference = null;
            try
            {
                await _agent.UnsubscribeAsync(reference, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), _time);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The agent forgets the observer within a minute anyway.
                LogUnsubscribeFailed(_logger, ex, _agentId);
            }

            try
            {
                _grains.DeleteObjectReference<IAgentObserver>(reference);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        // The runtime holds observers weakly: the relay lives as long as the feed.
        GC.KeepAlive(_relay);
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var pushed in _incoming.Reader.ReadAllAsync(cancellationToken))
            {
                if (pushed is not null && pushed.Sequence <= _queued + 1)
                {
                    Queue(pushed);
                    continue;
                }

                // Asked for, or a gap before this push (a push went missing, e.g. the grain moved): read what follows the last queued.
                await CatchUpAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var backoff = MinBackoff;
        while (true)
        {
            try
            {
                IReadOnlyList<Directive> page;
                do
                {
                    page = await _agent.GetDirectivesAsync(_queued, CatchUpPage, cancellationToken);
                    foreach (var directive in page)
                    {
                        Queue(directive);
                    }
                }
                while (page.Count == CatchUpPage);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogCatchUpFailed(_logger, ex, _agentId);
                await Task.Delay(backoff, _time, cancellationToken);
                backoff = Next(backoff);
            }
        }
    }

    private void Queue(Directive directive)
    {
        if (directive.Sequence <= _queued)
        {
            return;
        }

        _queued = directive.Sequence;
        if (directive.Kind == DirectiveKind.Kill)
        {
            _onKill(AgentStopReason.KillDirective, directive.Sequence);
            return;
        }

        _ready.Writer.TryWrite(directive);
    }

    /// <summary>Renews the subscription, watches for a kill no directive announces (forced, or fenced), and asks for a catch-up.</summary>
    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var delay = _renewal;
        while (true)
        {
            try
            {
                await Task.Delay(delay, _time, cancellationToken);
                await _agent.SubscribeAsync(_reference!, cancellationToken);
                var agent = await _agent.GetAsync(cancellationToken);
                if (agent.Status == AgentStatus.Killed || agent.Epoch != _epoch)
                {
                    _onKill(AgentStopReason.Killed, 0);
                }

                _incoming.Writer.TryWrite(null);
                delay = _renewal;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The agent keeps a subscription for a minute: retry soon, well within it.
                LogRenewalFailed(_logger, ex, _agentId);
                delay = delay == _renewal ? MinBackoff : Min(Next(delay), _renewal);
            }
        }
    }

    private async Task AcknowledgeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in _handedOut.Reader.ReadAllAsync(cancellationToken))
            {
                await AcknowledgeHandedOutAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Acknowledges up to the last directive handed out, retrying while the mesh is unreachable.</summary>
    private async Task AcknowledgeHandedOutAsync(CancellationToken cancellationToken)
    {
        var backoff = MinBackoff;
        while (Interlocked.Read(ref _delivered) is var target && target > _acknowledged)
        {
            try
            {
                await _agent.AcknowledgeAsync(_epoch, target, cancellationToken);
                _acknowledged = target;
            }
            catch (StaleEpochException)
            {
                // Killed: nothing is acknowledged any more.
                _acknowledged = target;
                _onKill(AgentStopReason.Killed, 0);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogAcknowledgeFailed(_logger, ex, _agentId, target);
                await Task.Delay(backoff, _time, cancellationToken);
                backoff = Next(backoff);
            }
        }
    }

    private static void Raise(ref long mark, long value)
    {
        var seen = Interlocked.Read(ref mark);
        while (value > seen && Interlocked.CompareExchange(ref mark, value, seen) is var previous && previous != seen)
        {
            seen = previous;
        }
    }

    private static TimeSpan Next(TimeSpan backoff) => Min(backoff * 2, MaxBackoff);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: reading the directive backlog failed; retrying.")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: renewing the directive subscription failed; retrying.")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: acknowledging directives through {Sequence} failed; retrying.")]
    private static partial void LogAcknowledgeFailed(ILogger logger, Exception exception, string agentId, long sequence);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Agent {AgentId}: unsubscribing failed; the agent forgets the subscription within a minute.")]
    private static partial void LogUnsubscribeFailed(ILogger logger, Exception exception, string agentId);

    /// <summary>The observer the agent grain pushes to: it only queues, so the grain never waits on the agent's work.</summary>
    private sealed class Relay(ChannelWriter<Directive?> writer) : IAgentObserver
    {
        public Task OnDirectiveAsync(Directive directive)
        {
            writer.TryWrite(directive);
            return Task.CompletedTask;
        }
    }
}
