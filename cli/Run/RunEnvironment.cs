namespace SessionMesh.Cli.Run;

/// <summary>What a supervised command finds in its environment.</summary>
public static class RunEnvironment
{
    public const string Url = "SESSION_MESH_URL";
    public const string ApiKey = "SESSION_API_KEY";
    public const string AgentId = "SESSION_MESH_AGENT_ID";
    public const string SessionId = "SESSION_MESH_SESSION_ID";
    public const string Epoch = "SESSION_MESH_EPOCH";
    public const string Directives = "SESSION_MESH_DIRECTIVES";

    /// <summary>The runner's pid, so the child's first stage can tell its parent died before it asked to die with it.</summary>
    public const string RunnerPid = "SESSION_MESH_RUNNER_PID";

    /// <summary>Internal: set for the guard stage, the process group it kills when the runner dies.</summary>
    public const string GuardGroup = "SESSION_MESH_GUARD_GROUP";
}
