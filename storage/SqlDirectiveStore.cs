using System.Data.Common;
using System.Globalization;
using SessionMesh.Agents;
using SessionMesh.Grains.Agents;

namespace SessionMesh.Storage;

/// <summary>Directive rows (migration 007), the same statements on SQLite and PostgreSQL; every statement touches rows of one agent by its key.</summary>
public sealed class SqlDirectiveStore(DbDataSource dataSource) : IDirectiveStore
{
    public async Task AppendAsync(string agentId, Directive directive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directive);
        var (connection, command) = await dataSource.CommandAsync("""
            INSERT INTO Directives (AgentId, Sequence, Kind, Direction, Message, IssuedTicks)
            VALUES (@agent, @sequence, @kind, @direction, @message, @issued)
            ON CONFLICT (AgentId, Sequence) DO UPDATE SET Kind = excluded.Kind, Direction = excluded.Direction,
                Message = excluded.Message, IssuedTicks = excluded.IssuedTicks;
            """, cancellationToken,
            ("agent", agentId), ("sequence", directive.Sequence), ("kind", (int)directive.Kind), ("direction", directive.Direction),
            ("message", directive.Message), ("issued", directive.IssuedAt.UtcTicks));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyList<Directive>> ReadAsync(string agentId, long afterSequence, long throughSequence, int limit, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("""
            SELECT Sequence, Kind, Direction, Message, IssuedTicks FROM Directives
            WHERE AgentId = @agent AND Sequence > @after AND Sequence <= @through
            ORDER BY Sequence LIMIT @limit;
            """, cancellationToken, ("agent", agentId), ("after", afterSequence), ("through", throughSequence), ("limit", limit));
        await using (connection)
        await using (command)
        {
            var directives = new List<Directive>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                directives.Add(new Directive(
                    reader.GetInt64(0),
                    (DirectiveKind)Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                    reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero)));
            }

            return directives;
        }
    }

    public async Task CompactAsync(string agentId, long throughSequence, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync(
            "DELETE FROM Directives WHERE AgentId = @agent AND Sequence <= @through;",
            cancellationToken, ("agent", agentId), ("through", throughSequence));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
