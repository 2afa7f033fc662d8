using SessionMesh.Keys;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>Who made a request: the scopes of the key they presented and what it is bound to.</summary>
public sealed record Caller(IReadOnlySet<KeyScope> Scopes, string? AgentId, Guid? SessionId)
{
    public static readonly Caller Admin = new(new HashSet<KeyScope> { KeyScope.Admin }, null, null);

    /// <summary>The key presented, or null for the bootstrap admin key (which has no id, no expiry, no parent).</summary>
    public KeyInfo? Key { get; init; }

    public bool Has(KeyScope scope) => Scopes.Contains(scope);

    public bool IsOperator => Has(KeyScope.Admin) || Has(KeyScope.Operator);

    /// <summary>Whether the caller may act for this agent: operators for any, agent keys for their own.</summary>
    public bool MayActFor(string agentId) => IsOperator || (Has(KeyScope.Agent) && AgentId == agentId);

    /// <summary>Whether the caller may act for this session: operators, its agent's key, or its own key.</summary>
    public bool MayActFor(Guid sessionId, string? sessionAgentId) =>
        IsOperator || (Has(KeyScope.Agent) && (SessionId == sessionId || (AgentId is not null && AgentId == sessionAgentId)));
}
