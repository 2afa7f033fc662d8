namespace SessionMesh.Agents;

/// <summary>Receives directives pushed to a live agent process.</summary>
[Alias("SessionMesh.Agents.IAgentObserver")]
public interface IAgentObserver : IGrainObserver
{
    /// <summary>A new directive was issued; acknowledge it through the agent grain.</summary>
    [Alias("on-directive")]
    Task OnDirectiveAsync(Directive directive);
}
