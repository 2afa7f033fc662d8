using Microsoft.Extensions.DependencyInjection;
using SessionMesh.Keys;

namespace SessionMesh.Grains.Keys;

/// <summary>What the key directory persists: the keys that are not long expired.</summary>
[GenerateSerializer, Alias("sessionmesh.key-directory-state")]
public sealed class KeyDirectoryState
{
    [Id(0)] public Dictionary<string, KeyInfo> Keys { get; set; } = [];
}

/// <summary>
/// The key listing (ids, scopes, expiry — never secrets). Keys a day past expiry are dropped, so the
/// list holds the keys in use, not every key ever issued.
/// </summary>
[GrainType("keydirectory")] // the name existing rows are keyed by (the default derived from the class name)
public sealed class KeyDirectoryGrain(
    [PersistentState("keys", MeshStorage.Name)] IPersistentState<KeyDirectoryState> state,
    [FromKeyedServices(MeshClock.Key)] TimeProvider clock) : Grain, IKeyDirectoryGrain
{
    private static readonly TimeSpan KeptAfterExpiry = TimeSpan.FromDays(1);

    public async Task RecordAsync(KeyInfo key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var cutoff = clock.GetUtcNow() - KeptAfterExpiry;
        var previous = new Dictionary<string, KeyInfo>(state.State.Keys);
        foreach (var expired in state.State.Keys.Values.Where(k => k.ExpiresAt < cutoff).Select(k => k.KeyId).ToList())
        {
            state.State.Keys.Remove(expired);
        }

        state.State.Keys[key.KeyId] = key;
        await state.WriteOrRevertAsync(() => state.State.Keys = previous);
    }

    public Task<bool> ContainsAsync(string keyId, CancellationToken cancellationToken = default) =>
        Task.FromResult(keyId is not null && state.State.Keys.ContainsKey(keyId));

    public Task<IReadOnlyList<KeyInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = clock.GetUtcNow() - KeptAfterExpiry;
        // A key whose ancestor is revoked is refused at verification, so the listing shows it revoked too.
        IReadOnlyList<KeyInfo> keys = [.. state.State.Keys.Values
            .Where(k => k.ExpiresAt >= cutoff)
            .Select(k => !k.Revoked && AncestorRevoked(k) ? k with { Revoked = true } : k)
            .OrderByDescending(k => k.CreatedAt)];
        return Task.FromResult(keys);
    }

    private bool AncestorRevoked(KeyInfo key)
    {
        for (var (parentId, steps) = (key.ParentKeyId, 0); parentId is not null && steps <= SessionKeyGrain.MaxDepth; steps++)
        {
            if (!state.State.Keys.TryGetValue(parentId, out var parent))
            {
                return false;
            }

            if (parent.Revoked)
            {
                return true;
            }

            parentId = parent.ParentKeyId;
        }

        return false;
    }
}
