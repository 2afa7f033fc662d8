using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using SessionMesh.Errors;
using SessionMesh.Grains;
using SessionMesh.Keys;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>
/// Verifies presented keys for this silo without letting unknown ids reach a grain or the database:
/// <list type="bullet">
/// <item>Key ids: one not seen here is looked up in the key directory grain (always active, in
/// memory), never by activating its key grain or reading the database; only real ids are remembered,
/// so memory does not grow with bad keys. Failed attempts are throttled per address (<see cref="AuthThrottle"/>).</item>
/// <item>Verified keys: remembered for <see cref="VerifiedTtl"/> (bounded to <see cref="MaxVerified"/>
/// entries), so a revocation through another silo, or of an ancestor, takes effect within 5 s; one
/// through this silo at once.</item>
/// </list>
/// </summary>
public sealed class KeyVerifier(IGrainFactory grains, [FromKeyedServices(MeshClock.Key)] TimeProvider clock)
{
    /// <summary>How long a verified key is trusted without asking its grain again (the revocation bound).</summary>
    public static readonly TimeSpan VerifiedTtl = TimeSpan.FromSeconds(5);

    /// <summary>The most verified keys remembered; beyond it the memory is cleared, never grown.</summary>
    public const int MaxVerified = 10_000;

    private readonly ConcurrentDictionary<string, (byte[] Hash, KeyInfo Key, DateTimeOffset At)> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _knownIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (bool InForce, DateTimeOffset At)> _inForce = new(StringComparer.Ordinal);

    /// <summary>How many presented keys reached a key grain (a test and metrics hook).</summary>
    public long GrainVerifications => Interlocked.Read(ref _grainVerifications);

    private long _grainVerifications;

    /// <summary>Whether a key with this id and secret hash was verified within the last 5 s.</summary>
    public bool IsRecentlyVerified(string keyId, byte[] secretHash) =>
        _verified.TryGetValue(keyId, out var entry) && clock.GetUtcNow() - entry.At < VerifiedTtl && entry.Key.ExpiresAt > clock.GetUtcNow()
        && CryptographicOperations.FixedTimeEquals(entry.Hash, secretHash);

    /// <summary>The key if valid; null if unknown, wrong, expired or revoked (itself or an ancestor).</summary>
    public async Task<KeyInfo?> VerifyAsync(string keyId, byte[] secretHash, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_verified.TryGetValue(keyId, out var entry) && now - entry.At < VerifiedTtl)
        {
            return entry.Key.ExpiresAt > now && CryptographicOperations.FixedTimeEquals(entry.Hash, secretHash) ? entry.Key : null;
        }

        if (!await IsKnownAsync(keyId, cancellationToken))
        {
            return null;
        }

        Interlocked.Increment(ref _grainVerifications);
        var key = await grains.GetGrain<ISessionKeyGrain>(keyId).VerifyAsync(secretHash, cancellationToken);
        if (key is null)
        {
            _verified.TryRemove(keyId, out _);
            return null;
        }

        if (_verified.Count >= MaxVerified)
        {
            _verified.Clear();
        }

        _verified[keyId] = (secretHash, key, now);
        return key;
    }

    /// <summary>
    /// Whether a key (by id alone: a sign-in cookie carries no secret) is still in force, neither it
    /// nor an ancestor revoked or expired; asked of its grain at most once per 5 s per key.
    /// </summary>
    public async Task<bool> IsInForceAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_inForce.TryGetValue(keyId, out var entry) && now - entry.At < VerifiedTtl)
        {
            return entry.InForce;
        }

        if (!MeshIds.IsValid(keyId) || !await IsKnownAsync(keyId, cancellationToken))
        {
            return false;
        }

        var inForce = await grains.GetGrain<ISessionKeyGrain>(keyId).IsInForceAsync(cancellationToken);
        if (_inForce.Count >= MaxVerified)
        {
            _inForce.Clear();
        }

        _inForce[keyId] = (inForce, now);
        return inForce;
    }

    /// <summary>A key minted through this silo is known at once.</summary>
    public void Minted(string keyId)
    {
        if (_knownIds.Count >= MaxVerified)
        {
            _knownIds.Clear();
        }

        _knownIds[keyId] = 0;
    }

    /// <summary>A key revoked through this silo is refused at once here (its subtree within 5 s).</summary>
    public void Revoked(string keyId)
    {
        _verified.TryRemove(keyId, out _);
        _inForce.TryRemove(keyId, out _);
    }

    private async Task<bool> IsKnownAsync(string keyId, CancellationToken cancellationToken)
    {
        if (_knownIds.ContainsKey(keyId))
        {
            return true;
        }

        // Not seen here yet (perhaps minted through another silo): the key directory, already in
        // memory, knows every issued id. Only real ids are remembered, so bad keys grow nothing.
        if (!await grains.GetGrain<IKeyDirectoryGrain>(0).ContainsAsync(keyId, cancellationToken))
        {
            return false;
        }

        Minted(keyId);
        return true;
    }
}
