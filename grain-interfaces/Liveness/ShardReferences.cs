using System.Runtime.CompilerServices;

namespace SessionMesh.Liveness;

/// <summary>
/// References to the <see cref="LivenessShards.Count"/> shard grains behind an interface, made once per
/// grain factory. Orleans 10 resolves a grain interface's type by reflection on every <c>GetGrain</c>
/// (its attributes, then its formatted name), and on the HTTP heartbeat path that was 8 % of the
/// silo's CPU (BENCHMARKS.md); the shards are a fixed set, so each reference is made once.
/// </summary>
public static class ShardReferences
{
    /// <summary>The reference to shard <paramref name="shard"/> (0 to <see cref="LivenessShards.Count"/> - 1).</summary>
    public static T For<T>(IGrainFactory grains, int shard)
        where T : IGrainWithIntegerKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, LivenessShards.Count);
        if (Made<T>.ByFactory.TryGetValue(grains, out var made))
        {
            return made[shard];
        }

        T[] all = [.. Enumerable.Range(0, LivenessShards.Count).Select(i => grains.GetGrain<T>(i))];

        // A client that does not know the cluster's grain types yet gets placeholder references,
        // resolved when called: those are not kept, so the next call asks again.
        if (!all[0].GetGrainId().Type.ToString()!.StartsWith(GrainTypePrefix.SystemPrefix, StringComparison.Ordinal))
        {
            Made<T>.ByFactory.AddOrUpdate(grains, all);
        }

        return all[shard];
    }

    private static class Made<T>
    {
        public static readonly ConditionalWeakTable<IGrainFactory, T[]> ByFactory = [];
    }
}
