using System.Data.Common;
using System.Globalization;
using Orleans.Serialization;
using Orleans.Storage;
using SessionMesh.Grains;
using SessionMesh.Grains.Sessions;

namespace SessionMesh.Storage;

/// <summary>
/// Session grain state, stored in the session's catalog row (migration 014): a state change is one
/// statement that writes the payload (Orleans' binary format), the status listings and stats read,
/// and — through the catalog's counting triggers — the counters, so they commit together or not at
/// all, on SQLite and PostgreSQL alike. <c>Version</c> is the optimistic-concurrency tag (the ETag).
/// Writes from many sessions share transactions (<see cref="GroupCommitter"/>).
/// </summary>
/// <remarks>
/// Sessions written before migration 014 keep their state in OrleansStorage (<paramref name="legacy"/>,
/// the ADO.NET provider). Such a session moves over when it is next read: its state is written
/// into its catalog row (also correcting a catalog row a crash had left behind the state), then its
/// old row is removed. Clearing a session removes both rows, so a retracted child cannot come back
/// from an old row whose removal had failed.
/// </remarks>
public sealed class SessionStateStorage(DbDataSource dataSource, GroupCommitter committer, Serializer serializer, IGrainStorage legacy) : IGrainStorage
{
    /// <summary>The state name session grains use, and so the GrainTypeString of their rows in OrleansStorage.</summary>
    public const string StateName = MeshStorage.SessionStateName;

    // Whether OrleansStorage held any session when this silo first looked (asked once, on the first
    // read that misses): a new silo on a new database never reads the old table again.
    private Task<bool>? _legacyHeldSessions;
    private long _reads;

    // Insert version 1, or replace the payload and status if the caller's version matches. A row
    // from before migration 014 (Version NULL) is taken over by a writer that holds no version.
    // Version 0 (LazyState.NoRowETag) inserts only: any row there refuses it. No row comes back on
    // a conflict.
    private const string WriteSql = """
        INSERT INTO SessionCatalog (SessionId, Status, CreatedTicks, AgentName, AgentId, ParentSessionId, Payload, Version, ResumeTicks)
        SELECT @id, @status, @created, @agent, @agentId, @parent, @payload, 1, CAST(@resume AS bigint)
        WHERE CAST(@expected AS integer) IS NULL OR CAST(@expected AS integer) = 0 OR EXISTS (SELECT 1 FROM SessionCatalog WHERE SessionId = @id)
        ON CONFLICT (SessionId) DO UPDATE SET
            Status = excluded.Status,
            Payload = excluded.Payload,
            ResumeTicks = excluded.ResumeTicks,
            Version = COALESCE(SessionCatalog.Version, 0) + 1
        WHERE SessionCatalog.Version = CAST(@expected AS integer)
           OR (SessionCatalog.Version IS NULL AND CAST(@expected AS integer) IS NULL)
        RETURNING Version;
        """;

    /// <summary>Session rows read so far (a spawn reads none: LazyState).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var id = Key(grainId);
        Interlocked.Increment(ref _reads);
        var (connection, command) = await dataSource.CommandAsync("SELECT Payload, Version FROM SessionCatalog WHERE SessionId = @id;", cancellationToken, ("id", id));
        await using (connection)
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var row = await reader.ReadAsync(cancellationToken);
            if (row && !reader.IsDBNull(0) && !reader.IsDBNull(1))
            {
                grainState.State = serializer.Deserialize<T>((byte[])reader.GetValue(0));
                grainState.ETag = Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
                grainState.RecordExists = true;
                return;
            }

            // A catalog row without a payload was written by a build before migration 014.
            if (!row && !await LegacyHeldSessionsAsync(cancellationToken))
            {
                Reset(grainState);
                return;
            }
        }

        await MoveFromLegacyAsync(stateName, grainId, grainState, cancellationToken);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (grainState.State is not SessionState stored)
        {
            throw new InvalidOperationException($"{nameof(SessionStateStorage)} stores {nameof(SessionState)}; got {typeof(T).Name} for {grainId}.");
        }

        // A write that must create its row, on a database that may hold sessions from before
        // migration 014: such a session may have no catalog row yet, only its old one.
        if (grainState.ETag == LazyState.NoRowETag && await LegacyHeldSessionsAsync(cancellationToken))
        {
            var old = new GrainState<T>();
            await legacy.ReadStateAsync(stateName, grainId, old, cancellationToken);
            if (old.RecordExists)
            {
                throw Conflict(grainId, grainState);
            }
        }

        // Not the caller's token: a write handed to the committer runs to its answer (see WriteOrRevertAsync).
        // A handoff's child: its row and the parent's HandedOff commit together or not at all.
        var own = Write(Key(grainId), stored, Expected(grainState.ETag));
        var parent = stored.WrittenWith;
        var answers = await committer.ExecuteTogetherAsync(parent is null
            ? [own]
            : [own, Write(Key(parent.ParentId), parent.ParentState, Expected(parent.ExpectedVersion))]);
        if (parent is not null && (answers[1] is null or DBNull))
        {
            throw new InconsistentStateException(
                $"Session {parent.ParentId} changed since it decided its handoff to {grainId} (expected version {parent.ExpectedVersion ?? "none"}); nothing was written.",
                "unknown", parent.ExpectedVersion);
        }

        var version = answers[0];
        if (version is null or DBNull)
        {
            throw Conflict(grainId, grainState);
        }

        grainState.ETag = Convert.ToInt32(version, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <summary>The statement that stores <paramref name="stored"/> as session <paramref name="id"/>'s row, if its version is still <paramref name="expected"/>.</summary>
    private GroupCommitter.Statement Write(string id, SessionState stored, int? expected)
    {
        if (stored.Session is not { } session)
        {
            throw new InvalidOperationException($"{nameof(SessionStateStorage)} stores a {nameof(SessionState)} with a session; session {id} has none.");
        }

        return new GroupCommitter.Statement(WriteSql, id,
        [
            ("id", id),
            ("status", (int)session.Status),
            ("created", session.CreatedAt.UtcTicks),
            ("agent", session.AgentName),
            ("agentId", session.AgentId),
            ("parent", session.ParentSession is { } parent ? parent.ToString("N", CultureInfo.InvariantCulture) : null),
            ("payload", serializer.SerializeToArray(stored)),
            ("resume", stored.PendingHandoff?.At.UtcTicks),
            ("expected", expected),
        ]);
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var id = Key(grainId);
        var (connection, command) = await dataSource.CommandAsync("""
            DELETE FROM SessionCatalog WHERE SessionId = @id
            AND (Version = CAST(@expected AS integer) OR (Version IS NULL AND CAST(@expected AS integer) IS NULL));
            """, cancellationToken, ("id", id), ("expected", Expected(grainState.ETag)));
        await using (connection)
        await using (command)
        {
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                command.CommandText = "SELECT COUNT(*) FROM SessionCatalog WHERE SessionId = @id;";
                if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0)
                {
                    throw Conflict(grainId, grainState);
                }
            }
        }

        if (await LegacyHeldSessionsAsync(cancellationToken))
        {
            var old = new GrainState<T>();
            await legacy.ReadStateAsync(stateName, grainId, old, cancellationToken);
            if (old.RecordExists)
            {
                await legacy.ClearStateAsync(stateName, grainId, old, cancellationToken);
            }
        }

        Reset(grainState);
    }

    /// <summary>Reads a session stored before migration 014 and moves it into its catalog row.</summary>
    private async Task MoveFromLegacyAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var old = new GrainState<T>();
        await legacy.ReadStateAsync(stateName, grainId, old, cancellationToken);
        if (!old.RecordExists || (old.State as SessionState)?.Session is null)
        {
            Reset(grainState);
            return;
        }

        var moved = new GrainState<T>(old.State);
        await WriteStateAsync(stateName, grainId, moved, cancellationToken);
        await legacy.ClearStateAsync(stateName, grainId, old, cancellationToken);
        grainState.State = moved.State;
        grainState.ETag = moved.ETag;
        grainState.RecordExists = true;
    }

    private Task<bool> LegacyHeldSessionsAsync(CancellationToken cancellationToken)
    {
        // Racing first readers may both ask; a fault or cancellation is not an answer, so it is asked again.
        var probe = _legacyHeldSessions;
        if (probe is null || probe.IsFaulted || probe.IsCanceled)
        {
            _legacyHeldSessions = probe = ProbeLegacyAsync(cancellationToken);
        }

        return probe;
    }

    private async Task<bool> ProbeLegacyAsync(CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync(
            "SELECT COUNT(*) FROM (SELECT 1 FROM OrleansStorage WHERE GrainTypeString = @type AND PayloadBinary IS NOT NULL LIMIT 1) AS old;", cancellationToken, ("type", StateName));
        await using (connection)
        await using (command)
        {
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0;
        }
    }

    private static void Reset<T>(IGrainState<T> grainState)
    {
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private static int? Expected(string? etag) =>
        etag is null ? null : int.Parse(etag, CultureInfo.InvariantCulture);

    private static InconsistentStateException Conflict<T>(GrainId grainId, IGrainState<T> grainState) =>
        new($"Session {grainId} was written by someone else (expected version {grainState.ETag ?? "none"}).", "unknown", grainState.ETag);

    private static string Key(GrainId grainId) => Key(grainId.GetGuidKey());

    private static string Key(Guid sessionId) => sessionId.ToString("N", CultureInfo.InvariantCulture);
}
