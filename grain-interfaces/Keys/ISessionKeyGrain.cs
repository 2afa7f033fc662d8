using Orleans.Concurrency;

namespace SessionMesh.Keys;

/// <summary>One session key, keyed by its public key id. Holds only the SHA-256 hash of the secret.</summary>
[Alias("SessionMesh.Keys.ISessionKeyGrain")]
public interface ISessionKeyGrain : IGrainWithStringKey
{
    /// <summary>Stores a new key. Throws <see cref="Errors.InvalidInputException"/> if the id is taken.</summary>
    [Alias("create")]
    Task<KeyInfo> CreateAsync(KeySpec spec, CancellationToken cancellationToken = default);

    /// <summary>The key if the hash matches (compared in constant time) and it is neither expired nor revoked; otherwise null.</summary>
    /// <remarks>Read-only (it caches its parent's answer in memory only), so verifications of one key run side by side.</remarks>
    [ReadOnly, Alias("verify")]
    Task<KeyInfo?> VerifyAsync(byte[] secretHash, CancellationToken cancellationToken = default);

    /// <summary>The key, or null when the id was never issued. Never the secret.</summary>
    [ReadOnly, Alias("get")]
    Task<KeyInfo?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether this key and every key above it in the key tree is neither expired nor revoked.</summary>
    [ReadOnly, Alias("is-in-force")]
    Task<bool> IsInForceAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes the key. Throws <see cref="Errors.SessionKeyNotFoundException"/> for an unknown id.</summary>
    [Alias("revoke")]
    Task<KeyInfo> RevokeAsync(CancellationToken cancellationToken = default);
}

/// <summary>The list of keys (ids, scopes, expiry; never secrets). Use key 0.</summary>
[Alias("SessionMesh.Keys.IKeyDirectoryGrain")]
public interface IKeyDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds or updates a key's entry (called by the key grain); long-expired keys are dropped.</summary>
    [Alias("record")]
    Task RecordAsync(KeyInfo key, CancellationToken cancellationToken = default);

    /// <summary>Whether a key with this id was ever issued (and is not long expired). Answered from memory.</summary>
    [ReadOnly, Alias("contains")]
    Task<bool> ContainsAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Keys that are not long expired, newest first.</summary>
    [ReadOnly, Alias("list")]
    Task<IReadOnlyList<KeyInfo>> ListAsync(CancellationToken cancellationToken = default);
}
