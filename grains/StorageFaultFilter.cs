using System.Data.Common;
using System.Runtime.ExceptionServices;
using SessionMesh.Errors;

namespace SessionMesh.Grains;

/// <summary>
/// Makes every storage fault escaping a grain call a top-level <see cref="StorageUnavailableException"/>:
/// driver exception types have no Orleans codec, so they could not cross to the calling silo, and a
/// caller should see "storage unavailable", not a driver's internals. The storage provider already
/// raises the typed error, but Orleans wraps it in an OrleansException on the way out of
/// WriteStateAsync; that wrapper is taken off here so callers can catch the type itself.
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
        catch (Exception ex) when (ex is not StorageUnavailableException && FindStorageFault(ex) is { } fault)
        {
            if (fault is StorageUnavailableException typed)
            {
                ExceptionDispatchInfo.Throw(typed);
            }

            throw new StorageUnavailableException($"{fault.GetType().Name}: {fault.Message}");
        }
    }

    /// <summary>The typed storage error or the driver error inside an exception, whichever comes first.</summary>
    private static Exception? FindStorageFault(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StorageUnavailableException or DbException)
            {
                return e;
            }
        }

        return null;
    }
}
