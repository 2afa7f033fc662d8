namespace SessionMesh.Liveness;

/// <summary>
/// Relays heartbeats to their shards with at most one call in flight per shard: heartbeats that
/// arrive while a shard's call is out go together in its next one (<see cref="ILivenessShardGrain.RenewTrackedAsync"/>),
/// so under load a grain call carries many heartbeats, and a lone heartbeat is sent at once. A
/// heartbeat the batch does not renew (a first one, a TTL change, a stale epoch), or whose batch
/// failed, is sent alone with <see cref="ILivenessShardGrain.HeartbeatAsync"/> and gets exactly the
/// answer or error it gets alone. The silo's HTTP API relays its heartbeats through one of these.
/// </summary>
public sealed class HeartbeatCoalescer
{
    /// <summary>The most heartbeats one call carries.</summary>
    public const int MaxBatch = 512;

    private readonly Func<int, ILivenessShardGrain> _shard;
    private readonly Shard[] _shards = [.. Enumerable.Range(0, LivenessShards.Count).Select(_ => new Shard())];
    private long _calls;
    private long _renewed;

    public HeartbeatCoalescer(IGrainFactory grains)
        : this(shard => ShardReferences.For<ILivenessShardGrain>(grains, shard))
    {
        ArgumentNullException.ThrowIfNull(grains);
    }

    /// <summary>For a relay that reaches its shards another way (tests: a shard that answers when told).</summary>
    public HeartbeatCoalescer(Func<int, ILivenessShardGrain> shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        _shard = shard;
    }

    /// <summary>Batch calls made so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Heartbeats renewed by batch calls so far.</summary>
    public long Renewed => Interlocked.Read(ref _renewed);

    /// <summary>Records a heartbeat and returns the lease, as <see cref="ILivenessShardGrain.HeartbeatAsync"/> does.</summary>
    public async Task<LeaseInfo> HeartbeatAsync(LeaseKey key, long epoch, TimeSpan? ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key.Id);
        var index = key.Shard;
        var shard = _shards[index];
        var waiting = new Waiting(new LeaseRenewal(key, epoch, ttl));
        bool send;
        lock (shard)
        {
            shard.Queue.Add(waiting);
            send = !shard.Sending;
            shard.Sending = true;
        }

        if (send)
        {
            _ = SendAsync(index, shard);
        }

        return await waiting.Answer.Task.WaitAsync(cancellationToken)
            ?? await _shard(index).HeartbeatAsync(key, epoch, ttl, cancellationToken);
    }

    // Sends the shard's queue, batch after batch, until it is empty; only one of these runs per shard.
    private async Task SendAsync(int index, Shard shard)
    {
        while (true)
        {
            // Let the work already queued on this process run first: heartbeats it carries join this batch.
            await Task.Yield();
            Waiting[] batch;
            lock (shard)
            {
                if (shard.Queue.Count == 0)
                {
                    shard.Sending = false;
                    return;
                }

                var count = Math.Min(shard.Queue.Count, MaxBatch);
                batch = [.. shard.Queue.GetRange(0, count)];
                shard.Queue.RemoveRange(0, count);
            }

            LeaseInfo?[]? renewed = null;
            try
            {
                Interlocked.Increment(ref _calls);
                renewed = await _shard(index).RenewTrackedAsync([.. batch.Select(w => w.Renewal)]);
            }
#pragma warning disable CA1031 // Any failure of the batch: each heartbeat is then sent alone and reports its own outcome.
            catch (Exception)
#pragma warning restore CA1031
            {
                renewed = null;
            }

            for (var i = 0; i < batch.Length; i++)
            {
                var lease = renewed is not null && i < renewed.Length ? renewed[i] : null;
                if (lease is not null)
                {
                    Interlocked.Increment(ref _renewed);
                }

                batch[i].Answer.TrySetResult(lease);
            }
        }
    }

    private sealed class Shard
    {
        public List<Waiting> Queue { get; } = [];

        public bool Sending { get; set; }
    }

    private sealed class Waiting(LeaseRenewal renewal)
    {
        public LeaseRenewal Renewal { get; } = renewal;

        // Answered off the sending loop, so callers' continuations never run inside it.
        public TaskCompletionSource<LeaseInfo?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
