using Orleans.Storage;

namespace SessionMesh.Grains;

/// <summary>
/// A grain's persistent state read when it is first needed rather than when the grain activates, so
/// a call that creates the grain can write without first reading for a row that is not there: the
/// write is conditional on no row existing (<see cref="LazyState{TState}.ExpectNoRow"/>), and a write
/// refused for that reason (<see cref="InconsistentStateException"/>) means the caller must read
/// and decide again. Reads are shared: calls that interleave wait for the same one.
/// </summary>
public static class LazyState
{
    /// <summary>The ETag of a write that must create its row: the storage refuses it if any row is there.</summary>
    public const string NoRowETag = "0";
}

/// <inheritdoc cref="LazyState"/>
public sealed class LazyState<TState>(IGrainStorage storage, string stateName, GrainId grainId) : IPersistentState<TState>
    where TState : new()
{
    private readonly GrainState<TState> _state = new(new TState());
    private Task? _loading;

    /// <summary>True once the state is what storage holds: read, or written by this activation.</summary>
    public bool Loaded { get; private set; }

    public TState State
    {
        get => _state.State!;
        set => _state.State = value;
    }

    public string? Etag => _state.ETag;

    public bool RecordExists => _state.RecordExists;

    /// <summary>Reads the state unless it is loaded; concurrent callers share one read, and a failed read is tried again by the next.</summary>
    public Task LoadAsync()
    {
        if (Loaded)
        {
            return Task.CompletedTask;
        }

        var loading = _loading;
        if (loading is null || loading.IsFaulted || loading.IsCanceled)
        {
            _loading = loading = ReadStateAsync();
        }

        return loading;
    }

    /// <summary>Takes the state as empty without reading it; the next write is refused if a row exists.</summary>
    public void ExpectNoRow()
    {
        _state.State = new TState();
        _state.ETag = LazyState.NoRowETag;
        _state.RecordExists = false;
    }

    /// <summary>Forgets what was read or assumed: the next <see cref="LoadAsync"/> reads the row again.</summary>
    public void Unload()
    {
        Loaded = false;
        _loading = null;
    }

    public Task ReadStateAsync() => ReadStateAsync(CancellationToken.None);

    public async Task ReadStateAsync(CancellationToken cancellationToken)
    {
        await storage.ReadStateAsync(stateName, grainId, _state, cancellationToken);
        Loaded = true;
    }

    public Task WriteStateAsync() => WriteStateAsync(CancellationToken.None);

    public async Task WriteStateAsync(CancellationToken cancellationToken)
    {
        await storage.WriteStateAsync(stateName, grainId, _state, cancellationToken);
        Loaded = true;
    }

    public Task ClearStateAsync() => ClearStateAsync(CancellationToken.None);

    public async Task ClearStateAsync(CancellationToken cancellationToken)
    {
        await storage.ClearStateAsync(stateName, grainId, _state, cancellationToken);
        Loaded = true;
    }
}
