namespace SessionMesh.Grains;

/// <summary>The one way grains write: if the write fails, memory is put back as it was and the error rethrown.</summary>
public static class PersistentStateExtensions
{
    public static async Task WriteOrRevertAsync<TState>(this IPersistentState<TState> state, Action revert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(revert);
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            revert();
            throw;
        }
    }
}
