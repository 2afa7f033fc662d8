using Orleans.Storage;
using SessionMesh.Grains;

namespace SessionMesh.Tests.Sessions;

/// <summary>
/// <see cref="LazyState{TState}"/> shares one read among the calls that need the state while it is
/// being read (read-only session calls interleave). On SQLite a read completes before anyone else can
/// ask, so the session tests cannot see it; here a storage stand-in holds the read open.
/// </summary>
public sealed class LazyStateTests
{
    private static readonly GrainId Grain = GrainId.Create("session", "lazy-state-test");

    [Fact]
    public async Task Loads_asked_for_while_a_read_is_in_flight_share_that_read()
    {
        var storage = new HeldStorage();
        var state = new LazyState<Counter>(storage, "counter", Grain);

        var loads = Enumerable.Range(0, 8).Select(_ => state.LoadAsync()).ToList();
        await storage.ReadArrived.Task;
        Assert.False(state.Loaded);
        storage.Release.SetResult();
        await Task.WhenAll(loads);

        Assert.Equal(1, storage.Reads);
        Assert.True(state.Loaded);
        Assert.Equal(("stored", "7"), (state.State.Value, state.Etag));
        await state.LoadAsync();
        Assert.Equal(1, storage.Reads);
    }

    [Fact]
    public async Task A_read_that_failed_fails_its_waiters_and_the_next_load_reads_again()
    {
        var storage = new HeldStorage { FailFirstRead = true };
        var state = new LazyState<Counter>(storage, "counter", Grain);

        var waiting = new[] { state.LoadAsync(), state.LoadAsync() };
        storage.Release.SetResult();
        foreach (var load in waiting)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => load);
        }

        Assert.False(state.Loaded);
        await state.LoadAsync();
        Assert.Equal((2, true, "stored"), (storage.Reads, state.Loaded, state.State.Value));
    }

    public sealed class Counter
    {
        public string? Value { get; set; }
    }

    /// <summary>A storage whose reads wait for <see cref="Release"/>, then answer one stored value (or, once, fail).</summary>
    private sealed class HeldStorage : IGrainStorage
    {
        private int _reads;

        public TaskCompletionSource ReadArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool FailFirstRead { get; init; }

        public int Reads => Volatile.Read(ref _reads);

        public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            var read = Interlocked.Increment(ref _reads);
            ReadArrived.TrySetResult();
            await Release.Task;
            if (FailFirstRead && read == 1)
            {
                throw new TimeoutException("the database did not answer");
            }

            grainState.State = (T)(object)new Counter { Value = "stored" };
            grainState.ETag = "7";
            grainState.RecordExists = true;
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => throw new NotSupportedException();

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => throw new NotSupportedException();
    }
}
