namespace SessionMesh.Bench;

/// <summary>The baseline: a grain call that does nothing, measured next to the real operations.</summary>
public interface INoOpGrain : IGrainWithIntegerKey
{
    Task PingAsync();
}

public sealed class NoOpGrain : Grain, INoOpGrain
{
    public Task PingAsync() => Task.CompletedTask;
}
