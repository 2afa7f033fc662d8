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
        catch (Exception ex) when (ex is not StorageUnavailableException && StorageFault(ex) is { } fault)
        {
            ExceptionDispatchInfo.Throw(fault);
        }
    }

    /// <summary>
    /// The storage fault inside an exception as the typed error (the typed error itself, or a driver
    /// error turned into one), or null when the exception is not about storage.
    /// </summary>
    public static StorageUnavailableException? StorageFault(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StorageUnavailableException typed:
                    return typed;
                case DbException driver:
                    return new StorageUnavailableException($"{driver.GetType().Name}: {driver.Message}");
            }
        }

        return null;
    }
}
