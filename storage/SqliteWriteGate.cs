namespace SessionMesh.Storage;

/// <summary>
/// Lets one writer at a time into a SQLite database, in arrival order. SQLite allows a single
/// writer anyway; queueing here instead of in SQLite's busy loop means no writer starves and
/// none sees "database is locked". Readers never wait: in WAL mode they see the last commit.
/// </summary>
public sealed class SqliteWriteGate : IDisposable
{
    // SemaphoreSlim releases asynchronous waiters in the order they arrived.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Waits for the gate; the returned lease releases it once.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return new Lease(_gate);
    }

    /// <summary>Waits for the gate synchronously (only for synchronous ADO.NET calls).</summary>
    public IDisposable Enter()
    {
        _gate.Wait();
        return new Lease(_gate);
    }

    public void Dispose() => _gate.Dispose();

    private sealed class Lease(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
