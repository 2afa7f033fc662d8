namespace SessionMesh.Client;

/// <summary>Why a hosted agent's stopping token was cancelled. A later, stronger reason replaces an earlier one.</summary>
public enum AgentStopReason
{
    /// <summary>Not stopped: the work runs.</summary>
    None = 0,

    /// <summary>
    /// The host is shutting down. Work that then returns completes the session; work that is cut
    /// short (throws <see cref="OperationCanceledException"/> or outlives the grace period) fails it
    /// with "stopped: the host shut down before the work finished".
    /// </summary>
    HostStopping = 1,

    /// <summary>A graceful kill: a kill directive arrived. Once the work has returned it is acknowledged; the agent is then Killed and the session Failed "killed".</summary>
    KillDirective = 2,

    /// <summary>The agent was killed at once (forced, or a graceful kill whose grace ran out): it is Killed, its epoch fenced, the session Failed "killed".</summary>
    Killed = 3,
}
