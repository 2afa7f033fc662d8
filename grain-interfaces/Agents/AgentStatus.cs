namespace SessionMesh.Agents;

/// <summary>Where an agent is in its life. <see cref="Killed"/> is final.</summary>
[GenerateSerializer, Alias("sessionmesh.agent-status")]
public enum AgentStatus
{
    /// <summary>Registered, running no session.</summary>
    Idle = 0,

    /// <summary>Running a session.</summary>
    Busy = 1,

    /// <summary>Asked to stop; waiting for it to acknowledge, go quiet, or run out of grace.</summary>
    Draining = 2,

    /// <summary>Stopped for good; its epoch is fenced off.</summary>
    Killed = 3,

    /// <summary>Its heartbeat lease ran out; a heartbeat with the current epoch brings it back.</summary>
    Lost = 4,
}
