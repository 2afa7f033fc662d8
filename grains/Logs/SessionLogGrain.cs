using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;
using SessionMesh.Errors;
using SessionMesh.Logs;

namespace SessionMesh.Grains.Logs;

/// <summary>
/// A session's log. The grain keeps the index of its chunks in memory (bounded by the cap) and the
/// text in the store, so an append is one insert (plus deletes past the cap) and a tail reads only
/// the chunks it returns.
/// </summary>
[GrainType("session-log")]
public sealed partial class SessionLogGrain(ISessionLogStore store, [FromKeyedServices(MeshClock.Key)] TimeProvider clock, ILogger<SessionLogGrain> logger) : Grain, ISessionLogGrain
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly List<LogChunkInfo> _chunks = [];
    private long _totalBytes;
    private long _nextChunk = 1;
    private long _nextLine = 1;
    private ObserverManager<ISessionLogObserver>? _observers;

    private Guid SessionId => this.GetPrimaryKey();

    private ObserverManager<ISessionLogObserver> Observers => _observers ??= new(TimeSpan.FromMinutes(1), logger);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var chunk in await store.LoadIndexAsync(SessionId, cancellationToken))
        {
            _chunks.Add(chunk);
            _totalBytes += chunk.Bytes;
        }

        if (_chunks.Count > 0)
        {
            _nextChunk = _chunks[^1].Chunk + 1;
            _nextLine = _chunks[^1].LastLine + 1;
        }
    }

    public async Task<long> AppendAsync(IReadOnlyList<LogEntry> lines, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (lines.Count > SessionLogLimits.MaxBatchLines)
        {
            throw new InvalidInputException(nameof(lines), $"at most {SessionLogLimits.MaxBatchLines} lines per append (got {lines.Count}).");
        }

        if (lines.Count == 0)
        {
            return _nextLine - 1;
        }

        var now = clock.GetUtcNow();
        var stored = new List<LogLine>(lines.Count);
        foreach (var line in lines)
        {
            if (line is null || line.Text is null)
            {
                throw new InvalidInputException(nameof(lines), "every line needs a text.");
            }

            var stream = line.Stream is "stdout" or "stderr" or "runner" ? line.Stream : "stdout";
            var text = line.Text.Length > SessionLogLimits.MaxLineLength ? line.Text[..SessionLogLimits.MaxLineLength] : line.Text;
            stored.Add(new LogLine(_nextLine + stored.Count, line.At == default ? now : line.At, stream, text));
        }

        var json = JsonSerializer.Serialize(stored, Json);
        var chunk = new LogChunkInfo(_nextChunk, _nextLine, stored.Count, System.Text.Encoding.UTF8.GetByteCount(json));
        await store.InsertAsync(SessionId, chunk, json, cancellationToken);
        _chunks.Add(chunk);
        _totalBytes += chunk.Bytes;
        _nextChunk++;
        _nextLine += stored.Count;
        await EnforceCapAsync(cancellationToken);

        if (_observers is { Count: > 0 } observers)
        {
            await observers.Notify(o => o.OnLinesAsync(stored));
        }

        return _nextLine - 1;
    }

    public async Task<IReadOnlyList<LogLine>> TailAsync(int count, CancellationToken cancellationToken = default)
    {
        if (count is < 1 or > 10_000)
        {
            throw new InvalidInputException(nameof(count), $"must be from 1 to 10000 (got {count}).");
        }

        if (_chunks.Count == 0)
        {
            return [];
        }

        var first = _chunks.Count - 1;
        var lines = _chunks[first].LineCount;
        while (first > 0 && lines < count)
        {
            first--;
            lines += _chunks[first].LineCount;
        }

        var read = await ReadChunksAsync(first, _chunks.Count - 1, cancellationToken);
        return read.Count > count ? read[^count..] : read;
    }

    public async Task<IReadOnlyList<LogLine>> ReadAfterAsync(long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 10_000)
        {
            throw new InvalidInputException(nameof(limit), $"must be from 1 to 10000 (got {limit}).");
        }

        // The first chunk holding a line after the mark; chunks are in line order.
        var first = _chunks.FindIndex(c => c.LastLine > afterSequence);
        if (first < 0)
        {
            return [];
        }

        var last = first;
        var lines = _chunks[first].LineCount;
        while (last < _chunks.Count - 1 && lines < limit)
        {
            last++;
            lines += _chunks[last].LineCount;
        }

        var read = await ReadChunksAsync(first, last, cancellationToken);
        return [.. read.Where(l => l.Sequence > afterSequence).Take(limit)];
    }

    public Task SubscribeAsync(ISessionLogObserver observer, CancellationToken cancellationToken = default)
    {
        Observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(ISessionLogObserver observer, CancellationToken cancellationToken = default)
    {
        Observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private async Task<List<LogLine>> ReadChunksAsync(int first, int last, CancellationToken cancellationToken)
    {
        var texts = await store.ReadAsync(SessionId, _chunks[first].Chunk, _chunks[last].Chunk, cancellationToken);
        var lines = new List<LogLine>();
        foreach (var text in texts)
        {
            lines.AddRange(JsonSerializer.Deserialize<List<LogLine>>(text, Json) ?? []);
        }

        return lines;
    }

    private async Task EnforceCapAsync(CancellationToken cancellationToken)
    {
        // Drop whole chunks, oldest first, until the log fits; the newest chunk always stays.
        var drop = 0;
        var bytes = _totalBytes;
        while (bytes > SessionLogLimits.MaxBytesPerSession && drop < _chunks.Count - 1)
        {
            bytes -= _chunks[drop].Bytes;
            drop++;
        }

        if (drop == 0)
        {
            return;
        }

        await store.DeleteThroughAsync(SessionId, _chunks[drop - 1].Chunk, cancellationToken);
        _chunks.RemoveRange(0, drop);
        _totalBytes = bytes;
        LogTrimmed(logger, SessionId, drop);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session {SessionId} log over its cap: dropped the {Count} oldest chunks.")]
    private static partial void LogTrimmed(ILogger logger, Guid sessionId, int count);
}
