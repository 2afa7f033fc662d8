using System.Data.Common;
using System.Threading.Channels;

namespace SessionMesh.Storage;

/// <summary>
/// Group commit: single-statement writes from many grains that arrive while a transaction is in
/// flight share the next one, so under concurrency the database commits (and syncs its log) once
/// per batch instead of once per write. Nothing is acknowledged before its batch is committed.
/// With no concurrency a batch is one write and costs what the write alone costs.
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

    /// <summary>Writes handed in and not yet answered.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>
    /// Runs one statement in the next batch; the answer is its first column (null when it returned
    /// no row), given once the batch is committed. A batch runs its writes in <paramref name="order"/>
    /// (ordinal), so concurrent transactions take their row locks in one order and cannot deadlock:
    /// session writes pass the session id, whose first hex digit is the counter shard its row updates.
    /// </summary>
    public Task<object?> ExecuteScalarAsync(string sql, string order, params (string Name, object? Value)[] parameters)
    {
        var write = new PendingWrite(sql, order, parameters);
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

            batch.Sort(static (a, b) => string.CompareOrdinal(a.Order, b.Order));
            object?[] answers;
            try
            {
                answers = await RunBatchAsync(batch);
            }
            catch (Exception)
            {
                // The transaction is rolled back: nothing in it happened. Give each write its own answer.
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

    private async Task<object?[]> RunBatchAsync(List<PendingWrite> batch)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        if (connection is GatedSqliteConnection sqlite)
        {
            // Take the in-process write gate before SQLite's own lock (BEGIN), never the other way round.
            await sqlite.EnterGateAsync(CancellationToken.None);
        }

        await using var transaction = await connection.BeginTransactionAsync();
        var answers = new object?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = batch[i].Sql;
            command.AddParameters(batch[i].Parameters);
            answers[i] = await command.ExecuteScalarAsync();
        }

        await transaction.CommitAsync();
        return answers;
    }

    private async Task RunAloneAsync(PendingWrite write)
    {
        try
        {
            var (connection, command) = await _dataSource.CommandAsync(write.Sql, CancellationToken.None, write.Parameters);
            await using (connection)
            await using (command)
            {
                var answer = await command.ExecuteScalarAsync();
                Interlocked.Increment(ref _commits);
                Answer(write, answer, null);
            }
        }
        catch (Exception ex)
        {
            Answer(write, null, ex);
        }
    }

    private void Answer(PendingWrite write, object? answer, Exception? error)
    {
        // Once per write, even if closing its connection fails after it was answered.
        if (error is null ? write.Answer.TrySetResult(answer) : write.Answer.TrySetException(error))
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private sealed record PendingWrite(string Sql, string Order, (string Name, object? Value)[] Parameters)
    {
        public TaskCompletionSource<object?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
