using System.Runtime.ExceptionServices;
using SessionMesh.Errors;

namespace SessionMesh.Grains;

/// <summary>The one way grains write: if the write fails, memory is put back as it was and the error rethrown (a storage fault as <see cref="StorageUnavailableException"/>).</summary>
public static class PersistentStateExtensions
{
    /// <summary>
    /// Writes the state, or reverts memory and rethrows. Takes no cancellation token on purpose: a
    /// write cancelled after the database committed it would leave memory reverted under a stale ETag
    /// while the row holds the new state, so a write that started always runs to its answer.
    /// </summary>
    public static async Task WriteOrRevertAsync<TState>(this IPersistentState<TState> state, Action revert)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(revert);
        try
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            revert();

            // Orleans wraps the provider's typed error in an OrleansException; grain code that
            // handles a storage fault (a retry, a compensation) catches the type itself.
            if (ex is not StorageUnavailableException && StorageFaultFilter.StorageFault(ex) is { } fault)
            {
                ExceptionDispatchInfo.Throw(fault);
            }

            throw;
        }
    }
}
