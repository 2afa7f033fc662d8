using System.Data.Common;
using System.Globalization;
using SessionMesh.Grains.Logs;

namespace SessionMesh.Storage;

/// <summary>Session log chunks (migration 010), the same statements on SQLite and PostgreSQL.</summary>
public sealed class SqlSessionLogStore(DbDataSource dataSource) : ISessionLogStore
{
    public async Task<IReadOnlyList<LogChunkInfo>> LoadIndexAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync(
            "SELECT Chunk, FirstLine, LineCount, Bytes FROM SessionLogChunks WHERE SessionId = @session ORDER BY Chunk;",
            cancellationToken, ("session", Key(sessionId)));
        await using (connection)
        await using (command)
        {
            var chunks = new List<LogChunkInfo>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                chunks.Add(new LogChunkInfo(
                    reader.GetInt64(0),
                    reader.GetInt64(1),
                    Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture),
                    Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture)));
            }

            return chunks;
        }
    }

    public async Task InsertAsync(Guid sessionId, LogChunkInfo chunk, string text, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("""
            INSERT INTO SessionLogChunks (SessionId, Chunk, FirstLine, LineCount, Bytes, Lines)
            VALUES (@session, @chunk, @first, @count, @bytes, @lines);
            """, cancellationToken,
            ("session", Key(sessionId)), ("chunk", chunk.Chunk), ("first", chunk.FirstLine), ("count", chunk.LineCount), ("bytes", chunk.Bytes), ("lines", text));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task DeleteThroughAsync(Guid sessionId, long throughChunk, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync(
            "DELETE FROM SessionLogChunks WHERE SessionId = @session AND Chunk <= @through;",
            cancellationToken, ("session", Key(sessionId)), ("through", throughChunk));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyList<string>> ReadAsync(Guid sessionId, long fromChunk, long toChunk, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync(
            "SELECT Lines FROM SessionLogChunks WHERE SessionId = @session AND Chunk >= @from AND Chunk <= @to ORDER BY Chunk;",
            cancellationToken, ("session", Key(sessionId)), ("from", fromChunk), ("to", toChunk));
        await using (connection)
        await using (command)
        {
            var texts = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                texts.Add(reader.GetString(0));
            }

            return texts;
        }
    }

    private static string Key(Guid sessionId) => sessionId.ToString("D");
}
