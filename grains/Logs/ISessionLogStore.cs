namespace SessionMesh.Grains.Logs;

/// <summary>
/// Session log chunks: an append inserts one row, the cap deletes the oldest rows. A session's rows
/// are never rewritten.
/// </summary>
public interface ISessionLogStore
{
    /// <summary>The kept chunks of a session (no text), oldest first: bounded by the size cap.</summary>
    Task<IReadOnlyList<LogChunkInfo>> LoadIndexAsync(Guid sessionId, CancellationToken cancellationToken);

    Task InsertAsync(Guid sessionId, LogChunkInfo chunk, string text, CancellationToken cancellationToken);

    /// <summary>Deletes every chunk up to and including <paramref name="throughChunk"/>.</summary>
    Task DeleteThroughAsync(Guid sessionId, long throughChunk, CancellationToken cancellationToken);

    /// <summary>Texts of the chunks from <paramref name="fromChunk"/> to <paramref name="toChunk"/>, oldest first.</summary>
    Task<IReadOnlyList<string>> ReadAsync(Guid sessionId, long fromChunk, long toChunk, CancellationToken cancellationToken);
}

/// <summary>One stored chunk: its number, the sequence of its first line, how many lines and bytes.</summary>
public readonly record struct LogChunkInfo(long Chunk, long FirstLine, int LineCount, int Bytes)
{
    public long LastLine => FirstLine + LineCount - 1;
}
