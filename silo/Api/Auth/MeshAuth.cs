using SessionMesh.Keys;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>What an endpoint needs from the caller's key.</summary>
public enum Access
{
    /// <summary>Any valid key; the endpoint checks that agent keys touch only their own agent or session.</summary>
    Own,

    /// <summary>Operator or admin.</summary>
    Operate,

    /// <summary>Admin only.</summary>
    Admin,
}

/// <summary>
/// Checks the Bearer key of every API call: missing, malformed, unknown, expired or revoked is 401
/// with <c>WWW-Authenticate: Bearer</c>; a valid key without the needed scope is 403.
/// </summary>
public static class MeshAuth
{
    private const string CallerItem = "sessionmesh.caller";

    /// <summary>Requires a key with the given access on every endpoint of the group.</summary>
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, Access access)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint => endpoint.Metadata.Add(new RequiredAccess(access)));
        return builder;
    }

    /// <summary>The filter that enforces <see cref="RequireAccess"/>; add it once to the API group.</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var access = http.GetEndpoint()?.Metadata.GetMetadata<RequiredAccess>()?.Access ?? Access.Admin;
        var caller = await AuthenticateAsync(http);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"session-mesh\"";
            return Results.Problem(statusCode: 401, title: "Unauthorized", detail: "Send a valid session key as 'Authorization: Bearer <key>'; create one with POST /api/session-mesh/keys.");
        }

        if (ReferenceEquals(caller, Throttled))
        {
            return AuthThrottle.TooMany(http);
        }

        var allowed = access switch
        {
            Access.Admin => caller.Has(KeyScope.Admin),
            Access.Operate => caller.IsOperator,
            _ => caller.IsOperator || caller.Has(KeyScope.Agent),
        };
        if (!allowed)
        {
            return Results.Problem(statusCode: 403, title: "Forbidden", detail: $"This key's scopes ({string.Join(", ", caller.Scopes)}) do not allow this call; it needs {(access == Access.Admin ? "admin" : "operator")}.");
        }

        http.Items[CallerItem] = caller;
        return await next(context);
    }

    /// <summary>The authenticated caller of the current request.</summary>
    public static Caller GetCaller(this HttpContext http) =>
        http.Items[CallerItem] as Caller ?? throw new InvalidOperationException("The request was not authenticated.");

    /// <summary>403 unless the caller may act for the agent.</summary>
    public static void DemandAgent(this HttpContext http, string agentId)
    {
        if (!http.GetCaller().MayActFor(agentId))
        {
            throw new ForbiddenException($"This key may not act for agent '{agentId}'.");
        }
    }

    /// <summary>403 unless the caller may act for the session.</summary>
    public static void DemandSession(this HttpContext http, Guid sessionId, string? sessionAgentId)
    {
        if (!http.GetCaller().MayActFor(sessionId, sessionAgentId))
        {
            throw new ForbiddenException($"This key may not act for session {sessionId}.");
        }
    }

    // Answered 429 instead of 401: this address has no failed authentications left.
    private static readonly Caller Throttled = new(new HashSet<KeyScope>(), null, null);

    internal static async Task<Caller?> AuthenticateAsync(HttpContext http)
    {
        var caller = await VerifyAsync(http);
        if (caller is not null)
        {
            return caller;
        }

        return http.RequestServices.GetRequiredService<AuthThrottle>().Fail(http) ? null : Throttled;
    }

    private static async Task<Caller?> VerifyAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header["Bearer ".Length..].Trim();
        return token.Length == 0 ? null : await VerifyTokenAsync(http, token);
    }

    /// <summary>
    /// The caller a token stands for, or null. An address past its failed-authentication budget gets
    /// nothing verified except keys this silo verified in the last seconds.
    /// </summary>
    public static async Task<Caller?> VerifyTokenAsync(HttpContext http, string token)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(token);
        if (token.Any(c => !char.IsAscii(c) || char.IsControl(c)))
        {
            return null;
        }

        var throttled = http.RequestServices.GetRequiredService<AuthThrottle>().IsThrottled(http);
        if (!SessionKeyToken.TryParse(token, out var keyId, out var secretHash))
        {
            return !throttled && http.RequestServices.GetRequiredService<AdminKey>().Matches(token) ? Caller.Admin : null;
        }

        var verifier = http.RequestServices.GetRequiredService<KeyVerifier>();
        if (throttled && !verifier.IsRecentlyVerified(keyId, secretHash))
        {
            return null;
        }

        var key = await verifier.VerifyAsync(keyId, secretHash, http.RequestAborted);
        return key is null ? null : new Caller(key.Scopes.ToHashSet(), key.AgentId, key.SessionId) { Key = key };
    }
}

/// <summary>Endpoint metadata: the access an endpoint needs (the most specific one wins).</summary>
public sealed record RequiredAccess(Access Access);

/// <summary>A valid key acting outside what it is bound to (403).</summary>
public sealed class ForbiddenException(string message) : Exception(message);
