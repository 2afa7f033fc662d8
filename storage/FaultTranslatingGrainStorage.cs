using System.Data.Common;
using Npgsql;
using Orleans.Storage;
using SessionMesh.Errors;

namespace SessionMesh.Storage;

/// <summary>
/// Wraps the ADO.NET grain storage so a database fault leaves it as <see cref="StorageUnavailableException"/>.
/// The grain call filter only sees faults of method calls; a fault while an activation reads its
/// state happens before any call is invoked, and the driver's exception (no Orleans codec) would
/// reach a caller on another silo as CodecNotFoundException, i.e. a 500. Converting here covers
/// activations, writes and clears alike.
/// </summary>
/// <remarks>
/// After a database restart, pooled connections are dead: the first command on each fails with
/// "terminating connection". Such a fault clears the pool and the operation is tried once more on
/// a fresh connection — safe, because a terminated connection committed nothing.
/// </remarks>
public sealed class FaultTranslatingGrainStorage(IGrainStorage inner, DbDataSource dataSource) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        RunAsync(() => inner.ReadStateAsync(stateName, grainId, grainState, CancellationToken.None));

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        RunAsync(() => inner.ReadStateAsync(stateName, grainId, grainState, cancellationToken));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        RunAsync(() => inner.WriteStateAsync(stateName, grainId, grainState, CancellationToken.None));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        RunAsync(() => inner.WriteStateAsync(stateName, grainId, grainState, cancellationToken));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        RunAsync(() => inner.ClearStateAsync(stateName, grainId, grainState, CancellationToken.None));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        RunAsync(() => inner.ClearStateAsync(stateName, grainId, grainState, cancellationToken));

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    private async Task RunAsync(Func<Task> operation)
    {
        try
        {
            try
            {
                await operation();
            }
            catch (Exception ex) when (StorageFaults.IsTerminatedConnection(ex))
            {
                StorageFaults.DropPooledConnections(dataSource);
                await operation();
            }
        }
        catch (Exception ex) when (StorageFaults.FindDatabaseError(ex) is { } database)
        {
            if (StorageFaults.IsConnectionFault(database))
            {
                StorageFaults.DropPooledConnections(dataSource);
            }

            throw new StorageUnavailableException($"{database.GetType().Name}: {database.Message}");
        }
    }
}

/// <summary>How the silo recognises database faults.</summary>
public static class StorageFaults
{
    /// <summary>The driver error inside an exception, unless it was already translated.</summary>
    public static DbException? FindDatabaseError(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StorageUnavailableException)
            {
                return null;
            }

            if (e is DbException database)
            {
                return database;
            }
        }

        return null;
    }

    /// <summary>
    /// The server ended the connection (shutdown, crash recovery, restart: SQLSTATE class 57P):
    /// nothing the command did was committed, and a new connection may well succeed.
    /// </summary>
    public static bool IsTerminatedConnection(Exception exception) =>
        FindDatabaseError(exception) is PostgresException { SqlState: "57P01" or "57P02" };

    /// <summary>The connection itself failed (refused, reset, terminated), not the statement.</summary>
    public static bool IsConnectionFault(DbException database) => database switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("57P", StringComparison.Ordinal) || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException => true,
        _ => false,
    };

    /// <summary>
    /// Forgets idle pooled connections after a fault, so connections the server closed while it
    /// restarted are not handed out again one failing call at a time.
    /// </summary>
    public static void DropPooledConnections(DbDataSource dataSource)
    {
        if (dataSource is NpgsqlDataSource postgres)
        {
            postgres.Clear();
        }
    }
}
