namespace SessionMesh.Client;

/// <summary>
/// The work of a .NET agent, run by the host as one session of the mesh (the in-process
/// <c>session-mesh run</c>): subclass it, override <see cref="ExecuteAsync"/>, and register it with
/// <see cref="SessionMeshAgentExtensions.AddSessionMeshAgent{TAgent}"/>. Constructor parameters come
/// from the host's services.
/// </summary>
/// <remarks>
/// Once the host has started, the agent is registered under its specialization, a session run by it
/// is spawned (or <see cref="SessionMeshAgentOptions.SessionId"/> attached), and agent and session
/// are heartbeaten every TTL/3 while the work runs. The outcome of <see cref="ExecuteAsync"/> is the
/// session's: returning completes it, throwing fails it with the exception's message, a kill fails
/// it with "killed". See <see cref="AgentStopReason"/> for what cancels the stopping token.
/// </remarks>
public abstract class SessionMeshAgent
{
    /// <summary>The agent's work.</summary>
    /// <param name="context">The run: agent id, epoch, session, directives, the session facade.</param>
    /// <param name="stoppingToken">Cancelled when the agent is killed or the host stops; <see cref="AgentContext.StopReason"/> says which.</param>
    protected internal abstract Task ExecuteAsync(AgentContext context, CancellationToken stoppingToken);
}

/// <summary>An agent whose work is a delegate.</summary>
internal sealed class DelegateAgent(Func<AgentContext, CancellationToken, Task> work) : SessionMeshAgent
{
    protected internal override Task ExecuteAsync(AgentContext context, CancellationToken stoppingToken) => work(context, stoppingToken);
}
