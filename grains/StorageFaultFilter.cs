using System.Data.Common;
using SessionMesh.Errors;

namespace SessionMesh.Grains;

/// <summary>
/// Turns database driver errors escaping any grain call into <see cref="StorageUnavailableException"/>:
/// driver exception types have no Orleans codec, so they could not cross to the calling silo, and a
/// caller should see "storage unavailable", not a driver's internals.
/// </summary>
public sealed class StorageFaultFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (FindDatabaseError(ex) is { } database)
        {
            throw new StorageUnavailableException($"{database.GetType().Name}: {database.Message}");
        }
    }

    private static DbException? FindDatabaseError(Exception exception)
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
}
