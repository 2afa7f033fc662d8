using System.Data.Common;
using System.Threading.Channels;

namespace SessionMesh.Storage;

/// <summary>
/// Group commit: writes from many grains that arrive while a transaction is in
/// flight share the next one, so under concurrency the database commits (and syncs its log) once
/// per batch instead of once per write. Nothing is acknowledged before its batch is committed.
/// With no concurrency a batch is one write and costs what the write alone costs. A write is one
/// statement, or several that must commit together (a handoff: the child's row and the parent's).
/// </summary>
/// <remarks>
/// A write that fails (a constraint, an injected fault, a dropped connection) fails its whole
/// transaction; the batch is then rolled back and each of its writes is run again on its own, so
/// every caller gets its own write's answer and no write depends on another's fate.
/// </remarks>
public sealed class GroupCommitter : IAsyncDisposable
{
    /// <summary>The most writes one transaction carries.</summary>
    public const int MaxBatch = 256;

    private readonly DbDataSource _dataSource;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] _writers;
    private long _commits;
    private long _handedIn;
    private long _pending;
    private long _rolledBack;

    /// <param name="dataSource">The database the writes go to.</param>
    /// <param name="writers">
    /// Transactions in flight at once: 1 for SQLite (it has one writer anyway), a few for a server
    /// database, so one batch's commit overlaps the next batch's statements.
    /// </param>
    public GroupCommitter(DbDataSource dataSource, int writers)
    {
        _dataSource = dataSource;
        _writers = [.. Enumerable.Range(0, writers).Select(_ => Task.Run(WriteLoopAsync))];
    }

    /// <summary>Transactions committed so far (a write run alone counts as one).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Shared transactions rolled back because one of their writes failed (each write then ran alone).</summary>
    public long RolledBack => Interlocked.Read(ref _rolledBack);

    /// <summary>Writes handed in so far (with <see cref="Commits"/>, how many writes a transaction carried).</summary>
    public long HandedIn => Interlocked.Read(ref _handedIn);

    /// <summary>Writes handed in and not yet answered.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>Writes handed in and not yet taken into a transaction.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>
    /// Runs a write in the next batch: statements that commit together or not at all. The answers
    /// are each statement's first column (null when it returned no row), given once the batch is
    /// committed; if any statement of a write of several returns no row, none of them is kept, and
    /// the answers say which returned none. A batch runs its statements in their <see cref="Statement.Order"/>
    /// (ordinal), so concurrent transactions take their row locks in one order and cannot deadlock:
    /// session writes pass the session id, whose first hex digits are the counter shard its row
    /// updates (migration 015).
    /// </summary>
    public Task<object?[]> ExecuteTogetherAsync(IReadOnlyList<Statement> statements)
    {
        ArgumentNullException.ThrowIfNull(statements);
        ArgumentOutOfRangeException.ThrowIfZero(statements.Count);
        var write = new PendingWrite(statements);
        Interlocked.Increment(ref _handedIn);
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(write))
        {
            Interlocked.Decrement(ref _pending);
            ObjectDisposedException.ThrowIf(true, this);
        }

        return write.Answer.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            if (batch.Count == 1)
            {
                await RunAloneAsync(batch[0]);
                continue;
            }

            // A failed statement or a write that did not hold: the transaction is rolled back and
            // nothing in it happened. Each write then runs alone, for its own answer.
            object?[][]? answers;
            try
            {
                var (together, held) = await RunTogetherAsync(batch);
                answers = held ? together : null;
            }
            catch (Exception)
            {
                answers = null;
            }

            if (answers is null)
            {
                Interlocked.Increment(ref _rolledBack);
                foreach (var write in batch)
                {
                    await RunAloneAsync(write);
                }

                continue;
            }

            Interlocked.Increment(ref _commits);
            for (var i = 0; i < batch.Count; i++)
            {
                Answer(batch[i], answers[i], null);
            }
        }
    }

    private async Task RunAloneAsync(PendingWrite write)
    {
        try
        {
            object?[] answers;
            if (write.Statements.Count == 1)
            {
                var only = write.Statements[0];
                var (connection, command) = await _dataSource.CommandAsync(only.Sql, CancellationToken.None, only.Parameters);
                await using (connection)
                await using (command)
                {
                    answers = [await command.ExecuteScalarAsync()];
                }

                Interlocked.Increment(ref _commits);
            }
            else
            {
                var (together, held) = await RunTogetherAsync([write]);
                answers = together[0];
                if (held)
                {
                    Interlocked.Increment(ref _commits);
                }
            }

            Answer(write, answers, null);
        }
        catch (Exception ex)
        {
            Answer(write, null, ex);
        }
    }

    /// <summary>
    /// The writes' statements in one transaction, in statement order, committed only if every write
    /// held (otherwise rolled back); each write's answers in its own statement order.
    /// </summary>
    private async Task<(object?[][] Answers, bool Held)> RunTogetherAsync(IReadOnlyList<PendingWrite> writes)
    {
        var statements = new List<(int Write, int Index, Statement Statement)>();
        for (var w = 0; w < writes.Count; w++)
        {
            for (var i = 0; i < writes[w].Statements.Count; i++)
            {
                statements.Add((w, i, writes[w].Statements[i]));
            }
        }

        // Stable, so a write's own statements keep their order among equal keys.
        var ordered = statements.OrderBy(s => s.Statement.Order, StringComparer.Ordinal).ToList();
        var answers = writes.Select(w => new object?[w.Statements.Count]).ToArray();
        await using var connection = await OpenForWritingAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var results = await RunAsync(connection, transaction, [.. ordered.Select(s => s.Statement)]);
        for (var i = 0; i < ordered.Count; i++)
        {
            answers[ordered[i].Write][ordered[i].Index] = results[i];
        }

        var held = Enumerable.Range(0, writes.Count).All(w => Holds(writes[w], answers[w]));
        if (held)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }

        return (answers, held);
    }

    private async Task<DbConnection> OpenForWritingAsync()
    {
        var connection = await _dataSource.OpenConnectionAsync();
        if (connection is GatedSqliteConnection sqlite)
        {
            // Take the in-process write gate before SQLite's own lock (BEGIN), never the other way round.
            await sqlite.EnterGateAsync(CancellationToken.None);
        }

        return connection;
    }

    /// <summary>
    /// The statements in the given order in <paramref name="transaction"/>, each one's first column
    /// (null when it returned no row). Where the driver batches (Npgsql) they go to the database in one
    /// round trip, not one per statement; SQLite runs them one by one, in process.
    /// </summary>
    private static async Task<object?[]> RunAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Statement> statements)
    {
        var answers = new object?[statements.Count];
        if (!connection.CanCreateBatch)
        {
            // One command per text, its parameters bound anew for each statement: SQLite compiles a
            // text (with the triggers it fires) once per transaction, not once per write.
            var commands = new Dictionary<string, DbCommand>(StringComparer.Ordinal);
            try
            {
                for (var i = 0; i < statements.Count; i++)
                {
                    if (!commands.TryGetValue(statements[i].Sql, out var command))
                    {
                        command = connection.CreateCommand();
                        command.Transaction = transaction;
                        command.CommandText = statements[i].Sql;
                        commands.Add(statements[i].Sql, command);
                    }

                    command.Parameters.Clear();
                    command.AddParameters(statements[i].Parameters);
                    answers[i] = await command.ExecuteScalarAsync();
                }
            }
            finally
            {
                foreach (var command in commands.Values)
                {
                    await command.DisposeAsync();
                }
            }

            return answers;
        }

        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        foreach (var statement in statements)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = statement.Sql;
            command.AddParameters(statement.Parameters);
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync();
        for (var i = 0; i < statements.Count; i++)
        {
            if (i > 0 && !await reader.NextResultAsync())
            {
                throw new InvalidOperationException($"a batch of {statements.Count} statements answered {i}; each must return a result (RETURNING).");
            }

            answers[i] = await reader.ReadAsync() ? reader.GetValue(0) : null;
        }

        return answers;
    }

    /// <summary>A write of one statement holds whatever it answers; one of several holds only if each returned a row.</summary>
    private static bool Holds(PendingWrite write, object?[] answers) =>
        write.Statements.Count == 1 || answers.All(a => a is not null and not DBNull);

    private void Answer(PendingWrite write, object?[]? answers, Exception? error)
    {
        // Once per write, even if closing its connection fails after it was answered.
        if (error is null ? write.Answer.TrySetResult(answers!) : write.Answer.TrySetException(error))
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>One statement of a write: its text, its place in a batch's lock order, its parameters.</summary>
    public sealed record Statement(string Sql, string Order, (string Name, object? Value)[] Parameters);

    private sealed record PendingWrite(IReadOnlyList<Statement> Statements)
    {
        public TaskCompletionSource<object?[]> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
