using System.Net;
using System.Threading.Channels;
using SessionMesh.Contracts;

namespace SessionMesh.Cli.Run;

/// <summary>
/// Collects the child's output lines with their time and stream and sends them to the session log
/// in batches. While the mesh is unreachable lines wait here (the oldest dropped past a bound, so a
/// long outage cannot exhaust memory). A quiet child costs nothing: the shipper wakes only when a
/// line arrives (or a send is to be retried), never on a timer of its own.
/// </summary>
internal sealed class LogShipper
{
    public const int MaxBatch = 1000;
    private const int MaxPending = 50_000;
    private const int Remembered = 20;
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);

    private readonly object _gate = new();
    private readonly Queue<LogAppendLine> _pending = new();
    private readonly Queue<string> _last = new();

    // Holds at most one wake-up: lines added while one waits are sent by the same round.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _dropped;

    public void Add(string stream, string text)
    {
        lock (_gate)
        {
            _pending.Enqueue(new LogAppendLine(text, stream, DateTimeOffset.UtcNow));
            if (_pending.Count > MaxPending)
            {
                _pending.Dequeue();
                _dropped++;
            }

            if (stream != "runner")
            {
                _last.Enqueue(text);
                if (_last.Count > Remembered)
                {
                    _last.Dequeue();
                }
            }
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>The last few lines the child wrote, oldest first (for a failure's message).</summary>
    public IReadOnlyList<string> LastLines(int count)
    {
        lock (_gate)
        {
            return [.. _last.TakeLast(count)];
        }
    }

    public async Task ShipAsync(RunnerApi api, string path, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _wake.Reader.ReadAsync(cancellationToken);

                // A line arrived: the rest of its burst joins it in one batch.
                await Task.Delay(Period, cancellationToken);
                while (await SendBatchAsync(api, path, cancellationToken))
                {
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HttpRequestException)
            {
                // Kept, and tried again after the next period.
                _wake.Writer.TryWrite(true);
            }
        }
    }

    /// <summary>Sends everything still pending; throws if the mesh does not take it.</summary>
    public async Task FlushAsync(RunnerApi api, string path, CancellationToken cancellationToken)
    {
        while (await SendBatchAsync(api, path, cancellationToken))
        {
        }
    }

    private async Task<bool> SendBatchAsync(RunnerApi api, string path, CancellationToken cancellationToken)
    {
        List<LogAppendLine> batch;
        lock (_gate)
        {
            if (_dropped > 0)
            {
                _pending.Enqueue(new LogAppendLine($"session-mesh run: {_dropped} lines dropped while the mesh was unreachable", "runner", DateTimeOffset.UtcNow));
                _dropped = 0;
            }

            batch = [.. _pending.Take(MaxBatch)];
        }

        if (batch.Count == 0)
        {
            return false;
        }

        var (status, _) = await api.SendAsync(HttpMethod.Post, path, new LogAppendRequest(batch), cancellationToken);
        if (status is >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests)
        {
            throw new HttpRequestException($"the session log answered {(int)status}");
        }

        // Sent (or refused for good, e.g. 4xx): either way these lines are done.
        lock (_gate)
        {
            for (var i = 0; i < batch.Count && _pending.Count > 0; i++)
            {
                _pending.Dequeue();
            }
        }

        return true;
    }
}
