namespace SessionMesh.Errors;

/// <summary>The agent already has <see cref="MeshLimits.MaxUnacknowledgedDirectives"/> directives it has not acknowledged.</summary>
[GenerateSerializer, Alias("sessionmesh.error.directive-limit")]
public sealed class DirectiveLimitException : SessionMeshException
{
    public DirectiveLimitException(string agentId, int limit)
        : base($"Agent '{agentId}' has {limit} unacknowledged directives, the most it may hold; it must acknowledge some before it can be steered again.")
    {
        AgentId = agentId;
        Limit = limit;
    }

    [Id(0)] public string AgentId { get; private set; }

    [Id(1)] public int Limit { get; private set; }
}
