using System.Security.Cryptography;
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
public sealed class SessionKeyGrain(
    [PersistentState("key", MeshStorage.Name)] IPersistentState<SessionKeyState> state,
    TimeProvider clock) : Grain, ISessionKeyGrain
{
    public async Task<KeyInfo> CreateAsync(KeySpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (state.State.Key is not null)
        {
            throw new InvalidInputException("key_id", "is already in use.");
        }

        if (spec.SecretHash.Length != SHA256.HashSizeInBytes)
        {
            throw new InvalidInputException("secret_hash", "must be a SHA-256 hash.");
        }

        if (spec.Scopes.Count == 0 || spec.Scopes.Any(s => !Enum.IsDefined(s)))
        {
            throw new InvalidInputException("scopes", "must name at least one of admin, operator, agent.");
        }

        var now = clock.GetUtcNow();
        var key = new KeyInfo
        {
            KeyId = this.GetPrimaryKeyString(),
            Scopes = [.. spec.Scopes.Distinct().Order()],
            CreatedAt = now,
            ExpiresAt = now + spec.Ttl,
            AgentId = spec.AgentId,
            SessionId = spec.SessionId,
            Label = spec.Label,
        };
        state.State = new SessionKeyState { Key = key, SecretHash = spec.SecretHash };
        await state.WriteOrRevertAsync(() => state.State = new SessionKeyState(), cancellationToken);

        await GrainFactory.GetGrain<IKeyDirectoryGrain>(0).RecordAsync(key, cancellationToken);
        return key;
    }

    public Task<KeyInfo?> VerifyAsync(byte[] secretHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secretHash);
        var valid = state.State.Key is { Revoked: false } key
            && key.ExpiresAt > clock.GetUtcNow()
            && secretHash.Length == state.State.SecretHash.Length
            && CryptographicOperations.FixedTimeEquals(secretHash, state.State.SecretHash);
        return Task.FromResult(valid ? state.State.Key : null);
    }

    public async Task<KeyInfo> RevokeAsync(CancellationToken cancellationToken = default)
    {
        var key = state.State.Key ?? throw new SessionKeyNotFoundException(this.GetPrimaryKeyString());
        if (key.Revoked)
        {
            return key;
        }

        state.State.Key = key with { Revoked = true };
        await state.WriteOrRevertAsync(() => state.State.Key = key, cancellationToken);

        await GrainFactory.GetGrain<IKeyDirectoryGrain>(0).RecordAsync(state.State.Key, cancellationToken);
        return state.State.Key;
    }
}
