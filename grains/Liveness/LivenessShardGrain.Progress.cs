using SessionMesh.Errors;
using SessionMesh.Liveness;

namespace SessionMesh.Grains.Liveness;

/// <summary>Two-signal liveness: heartbeats say the process lives, progress says it works.</summary>
public sealed partial class LivenessShardGrain
{
    public Task<LeaseInfo?> ReportProgressAsync(LeaseKey key, long epoch, DateTimeOffset progressAt, TimeSpan stallAfter, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        if (stallAfter <= TimeSpan.Zero || stallAfter > TimeSpan.FromDays(1))
        {
            throw new InvalidInputException(nameof(stallAfter), $"must be between 0 and 86400 seconds (got {stallAfter.TotalSeconds}).");
        }

        if (!_leases.TryGetValue(key, out var lease))
        {
            return Task.FromResult<LeaseInfo?>(null);
        }

        if (lease.Epoch != epoch)
        {
            throw new StaleEpochException(key.Id, epoch, lease.Epoch);
        }

        // In memory only, like a heartbeat: O(1), no write. Never moves backwards.
        var now = clock.GetUtcNow();
        var reported = progressAt > now ? now : progressAt;
        lease.ProgressAt = lease.ProgressAt is { } known && known > reported ? known : reported;
        lease.StallAfter = stallAfter;
        return Task.FromResult<LeaseInfo?>(Describe(key, lease, now));
    }
}
