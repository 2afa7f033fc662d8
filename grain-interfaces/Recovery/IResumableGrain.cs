namespace SessionMesh.Recovery;

/// <summary>A grain that records multi-grain intents (kill follow-through, handoff, session end) and can be asked to drive them to completion.</summary>
[Alias("SessionMesh.Recovery.IResumableGrain")]
public interface IResumableGrain : IGrain
{
    /// <summary>Drives every recorded, unfinished intent of this grain to completion. Idempotent; returns how many intents it finished.</summary>
    [Alias("resume")]
    Task<int> ResumeAsync();
}
