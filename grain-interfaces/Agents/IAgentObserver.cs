namespace SessionMesh.Agents;

/// <summary>Receives directives pushed to a live agent process.</summary>
public interface IAgentObserver : IGrainObserver
{
    /// <summary>A new directive was issued; acknowledge it through the agent grain.</summary>
    Task OnDirectiveAsync(Directive directive);
}
