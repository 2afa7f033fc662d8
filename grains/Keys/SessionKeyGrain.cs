using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using SessionMesh.Errors;
using SessionMesh.Keys;

namespace SessionMesh.Grains.Keys;

/// <summary>What a key grain persists: the hash of the secret and what the key may do.</summary>
[GenerateSerializer, Alias("sessionmesh.session-key-state")]
public sealed class SessionKeyState
{
    [Id(0)] public KeyInfo? Key { get; set; }
    [Id(1)] public byte[] SecretHash { get; set; } = [];
}

/// <summary>One session key. Verification compares hashes in constant time and checks expiry and revocation.</summary>
[GrainType("sessionkey")] // the name existing rows are keyed by (the default derived from the class name)
public sealed class SessionKeyGrain(
    [PersistentState("key", MeshStorage.Name)] IPersistentState<SessionKeyState> state,
    [FromKeyedServices(MeshClock.Key)] TimeProvider clock) : Grain, ISessionKeyGrain
{
    public async Task<KeyInfo> CreateAsync(KeySpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (state.State.Key is not null)
        {
            throw new InvalidInputException(nameof(KeyInfo.KeyId), "is already in use.");
        }

        if (spec.SecretHash.Length != SHA256.HashSizeInBytes)
        {
            throw new InvalidInputException(nameof(spec.SecretHash), "must be a SHA-256 hash.");
        }

        if (spec.Scopes.Count == 0 || spec.Scopes.Any(s => !Enum.IsDefined(s)))
        {
            throw new InvalidInputException(nameof(spec.Scopes), "must name at least one of admin, operator, agent.");
        }

        if (spec.AgentId is not null)
        {
            Validate.Id(nameof(spec.AgentId), spec.AgentId);
        }

        if (spec.Label is not null)
        {
            Validate.Id(nameof(spec.Label), spec.Label);
        }

        if (spec.Ttl <= TimeSpan.Zero || spec.Ttl > MaxTtl)
        {
            throw new InvalidInputException(nameof(spec.Ttl), $"must be more than 0 and at most {MaxTtl.TotalSeconds:0} seconds.");
        }

        var now = clock.GetUtcNow();
        var depth = 0;
        if (spec.ParentKeyId is not null)
        {
            // The key tree: a key mints only keys that do no more and live no longer than itself.
            var parent = await GrainFactory.GetGrain<ISessionKeyGrain>(Validate.Id(nameof(spec.ParentKeyId), spec.ParentKeyId)).GetAsync(cancellationToken);
            if (parent is null || parent.Revoked || parent.ExpiresAt <= now)
            {
                throw new InvalidInputException(nameof(spec.ParentKeyId), "is not a key in force.");
            }

            CheckWithin(parent, spec, now);
            depth = parent.Depth + 1;
            if (depth > MaxDepth)
            {
                throw new InvalidInputException(nameof(spec.ParentKeyId), $"the key tree is at most {MaxDepth} keys deep.");
            }
        }

        var key = new KeyInfo
        {
            KeyId = this.GetPrimaryKeyString(),
            Scopes = [.. spec.Scopes.Distinct().Order()],
            CreatedAt = now,
            ExpiresAt = now + spec.Ttl,
            AgentId = spec.AgentId,
            SessionId = spec.SessionId,
            Label = spec.Label,
            ParentKeyId = spec.ParentKeyId,
            Depth = depth,
        };
        state.State = new SessionKeyState { Key = key, SecretHash = spec.SecretHash };
        await state.WriteOrRevertAsync(() => state.State = new SessionKeyState());

        await GrainFactory.GetGrain<IKeyDirectoryGrain>(0).RecordAsync(key, CancellationToken.None);
        return key;
    }

    public async Task<KeyInfo?> VerifyAsync(byte[] secretHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secretHash);
        var valid = state.State.Key is { Revoked: false } key
            && key.ExpiresAt > clock.GetUtcNow()
            && secretHash.Length == state.State.SecretHash.Length
            && CryptographicOperations.FixedTimeEquals(secretHash, state.State.SecretHash);
        return valid && await ParentInForceAsync(cancellationToken) ? state.State.Key : null;
    }

    public Task<KeyInfo?> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(state.State.Key);

    public async Task<bool> IsInForceAsync(CancellationToken cancellationToken = default) =>
        state.State.Key is { Revoked: false } key && key.ExpiresAt > clock.GetUtcNow() && await ParentInForceAsync(cancellationToken);

    /// <summary>The longest TTL any key may have.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(365);

    /// <summary>How deep the key tree may grow (bounds the ancestry walk of a verification).</summary>
    public const int MaxDepth = 8;

    // Revoking a key revokes its whole subtree without touching it: every verification asks the
    // ancestors (at most MaxDepth calls, child to parent only, so no cycle), and the HTTP edge caches
    // the answer for a few seconds. A parent's answer is remembered briefly here as well.
    private async Task<bool> ParentInForceAsync(CancellationToken cancellationToken)
    {
        if (state.State.Key?.ParentKeyId is not { } parentId)
        {
            return true;
        }

        var now = clock.GetUtcNow();
        if (_parentCheckedAt is { } at && now - at < ParentCheckTtl)
        {
            return _parentInForce;
        }

        _parentInForce = await GrainFactory.GetGrain<ISessionKeyGrain>(parentId).IsInForceAsync(cancellationToken);
        _parentCheckedAt = now;
        return _parentInForce;
    }

    private static readonly TimeSpan ParentCheckTtl = TimeSpan.FromSeconds(1);
    private DateTimeOffset? _parentCheckedAt;
    private bool _parentInForce;

    private static void CheckWithin(KeyInfo parent, KeySpec spec, DateTimeOffset now)
    {
        if (now + spec.Ttl > parent.ExpiresAt)
        {
            throw new InvalidInputException(nameof(spec.Ttl), $"must end no later than the key that mints it (at most {Math.Floor((parent.ExpiresAt - now).TotalSeconds):0} seconds).");
        }

        if (spec.Scopes.Where(s => !parent.Grants(s)).Select(s => (KeyScope?)s).FirstOrDefault() is { } missing)
        {
            throw new InvalidInputException(nameof(spec.Scopes), $"'{missing.ToString().ToLowerInvariant()}' is more than the minting key may grant.");
        }

        if (parent.AgentId is not null && spec.AgentId != parent.AgentId)
        {
            throw new InvalidInputException(nameof(spec.AgentId), $"must be '{parent.AgentId}', the agent the minting key is bound to.");
        }

        if (parent.SessionId is not null && spec.SessionId != parent.SessionId)
        {
            throw new InvalidInputException(nameof(spec.SessionId), $"must be {parent.SessionId}, the session the minting key is bound to.");
        }
    }

    public async Task<KeyInfo> RevokeAsync(CancellationToken cancellationToken = default)
    {
        var key = state.State.Key ?? throw new SessionKeyNotFoundException(this.GetPrimaryKeyString());
        if (key.Revoked)
        {
            return key;
        }

        state.State.Key = key with { Revoked = true };
        await state.WriteOrRevertAsync(() => state.State.Key = key);

        await GrainFactory.GetGrain<IKeyDirectoryGrain>(0).RecordAsync(state.State.Key, CancellationToken.None);
        return state.State.Key;
    }
}
