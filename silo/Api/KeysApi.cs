using Microsoft.AspNetCore.Http.HttpResults;
using SessionMesh.Errors;
using SessionMesh.Keys;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>Session keys: create (shown once), list (never secrets), revoke. Admin only.</summary>
public static class KeysApi
{
    /// <summary>The longest TTL a key may have.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(365);

    public static void MapKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/keys").RequireAccess(Access.Admin);

        keys.MapPost("/", CreateAsync)
            .WithRequestBody<KeyRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict)
            .WithName("CreateKey")
            .WithSummary("Creates a session key {\"ttl\": seconds, \"scopes\": [admin|operator|agent], \"agent_id\"|\"session_id\"}; the key is shown only in this response.");

        keys.MapGet("/", ListAsync)
            .WithName("ListKeys")
            .WithSummary("Keys: ids, scopes, expiry, revocation, and the key tree (parent_key_id, depth). Never secrets.");

        keys.MapDelete("/{keyId}", RevokeAsync)
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithName("RevokeKey")
            .WithSummary("Revokes a key and every key minted from it: refused (401) from now on (keys below it, and on other silos, within 5 s).");
    }

    public static async Task<Ok<KeyCreated>> CreateAsync(HttpContext http, IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<KeyRequest>(http);
        var check = new RequestCheck();
        var ttl = check.Required("ttl", check.Field(() => ApiInput.Seconds("ttl", body.Ttl)));
        var scopes = check.Field(() => (body.Scopes ?? ["operator"]).Select(s => ApiInput.Enum("scopes", s, KeyScope.Operator)).ToList()) ?? [];
        var sessionId = check.Field(() => body.SessionId is null ? (Guid?)null : ApiInput.SessionId(body.SessionId));
        check.Field(() => body.AgentId is null ? null : Validate.Id("agent_id", body.AgentId));
        check.Field(() => body.Label is null ? null : Validate.Id("label", body.Label));
        check.Field(() => ttl > MaxTtl ? throw new InvalidInputException("ttl", $"must be at most {MaxTtl.TotalSeconds:0} seconds.") : ttl);
        check.Field(() => scopes.Count == 0 ? throw new InvalidInputException("scopes", "must name at least one scope.") : scopes);
        check.Field(() => scopes.Distinct().SequenceEqual([KeyScope.Agent]) && body.AgentId is null && sessionId is null
            ? throw new InvalidInputException("agent_id", "an agent-scoped key must be bound to an agent_id or a session_id.")
            : scopes);
        check.Field(() => scopes.Count != scopes.Distinct().Count() ? throw new InvalidInputException("scopes", "must not name a scope twice.") : scopes);
        check.ThrowIfAny();

        // The key tree: a minted key is a child of the key that minted it (none for the bootstrap admin key).
        var parent = http.GetCaller().Key;
        var (keyId, token, hash) = SessionKeyToken.Generate();
        var spec = new KeySpec { SecretHash = hash, Scopes = scopes, Ttl = ttl, AgentId = body.AgentId, SessionId = sessionId, Label = body.Label, ParentKeyId = parent?.KeyId };
        var key = await grains.GetGrain<ISessionKeyGrain>(keyId).CreateAsync(spec, http.RequestAborted);
        http.RequestServices.GetRequiredService<KeyVerifier>().Minted(keyId);
        return TypedResults.Ok(new KeyCreated(token, ttl.TotalSeconds, key.ExpiresAt, key.KeyId, Wire.Scopes(key.Scopes), key.Label, key.ParentKeyId, key.Depth));
    }

    public static async Task<Ok<List<KeyResponse>>> ListAsync(HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok((await grains.GetGrain<IKeyDirectoryGrain>(0).ListAsync(http.RequestAborted)).Select(Wire.Key).ToList());

    public static async Task<Ok<KeyResponse>> RevokeAsync(HttpContext http, IGrainFactory grains, string keyId)
    {
        var key = await grains.GetGrain<ISessionKeyGrain>(Validate.Id("key_id", keyId)).RevokeAsync(http.RequestAborted);
        http.RequestServices.GetRequiredService<KeyVerifier>().Revoked(keyId);
        return TypedResults.Ok(Wire.Key(key));
    }
}
