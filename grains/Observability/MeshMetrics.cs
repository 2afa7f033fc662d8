using System.Diagnostics.Metrics;
using SessionMesh.Liveness;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Observability;

/// <summary>
/// The mesh's own instruments, in the "SessionMesh" meter. Grains record with one call each, at the
/// places every event passes anyway (the topology publisher, the liveness shards); nothing here
/// reads storage, and no instrument's cost grows with the number of sessions.
/// </summary>
public static class MeshMetrics
{
    public const string MeterName = "SessionMesh";

    private static readonly Meter Meter = new(MeterName, typeof(MeshMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> SessionsSpawned = Meter.CreateCounter<long>("sessionmesh.sessions.spawned", description: "Sessions started (root or handoff child).");
    private static readonly Counter<long> Handoffs = Meter.CreateCounter<long>("sessionmesh.sessions.handoffs", description: "Sessions handed off to the next agent.");
    private static readonly Counter<long> SessionsCompleted = Meter.CreateCounter<long>("sessionmesh.sessions.completed", description: "Sessions completed.");
    private static readonly Counter<long> SessionsFailed = Meter.CreateCounter<long>("sessionmesh.sessions.failed", description: "Sessions failed (including killed and expired).");
    private static readonly Counter<long> AgentsRegistered = Meter.CreateCounter<long>("sessionmesh.agents.registered", description: "Agents registered.");
    private static readonly Counter<long> Directives = Meter.CreateCounter<long>("sessionmesh.directives.issued", description: "Steering directives issued.");
    private static readonly Counter<long> Kills = Meter.CreateCounter<long>("sessionmesh.agents.killed", description: "Agents killed (graceful or forced).");
    private static readonly Counter<long> AgentsLost = Meter.CreateCounter<long>("sessionmesh.agents.lost", description: "Agents lost to a lease that ran out.");
    private static readonly Counter<long> Heartbeats = Meter.CreateCounter<long>("sessionmesh.heartbeats", description: "Heartbeats received, by lease kind.");
    private static readonly Counter<long> LeasesExpired = Meter.CreateCounter<long>("sessionmesh.leases.expired", description: "Leases that ran out, by lease kind.");
    private static readonly Histogram<double> DirectiveDelivery = Meter.CreateHistogram<double>("sessionmesh.directive.delivery", "s", "From a directive's issue to the agent's acknowledgement.");
    private static readonly Histogram<double> KillDuration = Meter.CreateHistogram<double>("sessionmesh.agent.kill.duration", "s", "From a kill request to the agent being Killed (0 for a forced kill).");

    private static long[] _sessions = [];

    static MeshMetrics()
    {
        // Sessions by status, as last read from the stored counters by the host (see SetSessionCounts).
        Meter.CreateObservableGauge("sessionmesh.sessions", ObserveSessions, description: "Sessions by status (cluster-wide, from the stored counters).");
    }

    /// <summary>One topology event: counted under its kind.</summary>
    public static void Record(TopologyEventKind kind)
    {
        var counter = kind switch
        {
            TopologyEventKind.SessionSpawned => SessionsSpawned,
            TopologyEventKind.SessionHandedOff => Handoffs,
            TopologyEventKind.SessionCompleted => SessionsCompleted,
            TopologyEventKind.SessionFailed or TopologyEventKind.SessionExpired => SessionsFailed,
            TopologyEventKind.AgentRegistered => AgentsRegistered,
            TopologyEventKind.AgentSteered => Directives,
            TopologyEventKind.AgentKilled => Kills,
            TopologyEventKind.AgentLost => AgentsLost,
            _ => null,
        };
        counter?.Add(1);
    }

    /// <summary>A heartbeat taken by a liveness shard.</summary>
    public static void Heartbeat(LeaseKind kind) => Heartbeats.Add(1, new KeyValuePair<string, object?>("kind", KindTag(kind)));

    /// <summary>A lease found run out by its shard.</summary>
    public static void LeaseExpired(LeaseKind kind) => LeasesExpired.Add(1, new KeyValuePair<string, object?>("kind", KindTag(kind)));

    /// <summary>Directives acknowledged, each with how long it waited since it was issued.</summary>
    public static void DirectivesDelivered(IEnumerable<TimeSpan> waits)
    {
        ArgumentNullException.ThrowIfNull(waits);
        foreach (var wait in waits)
        {
            DirectiveDelivery.Record(Math.Max(0, wait.TotalSeconds));
        }
    }

    /// <summary>A kill finished: how long the agent took from the request to Killed.</summary>
    public static void KillFinished(TimeSpan took) => KillDuration.Record(Math.Max(0, took.TotalSeconds));

    /// <summary>The host's latest read of the stored session counters (Active, HandedOff, Completed, Failed).</summary>
    public static void SetSessionCounts(long active, long handedOff, long completed, long failed) =>
        _sessions = [active, handedOff, completed, failed];

    /// <summary>
    /// The place for the audit's figure: a gauge <c>sessionmesh.audit.violations</c> read from
    /// <paramref name="read"/> at each collection (register once per process).
    /// </summary>
    public static ObservableGauge<long> ObserveAuditViolations(Func<long> read) =>
        Meter.CreateObservableGauge("sessionmesh.audit.violations", read, description: "Invariant violations the audit found in its latest run.");

    private static IEnumerable<Measurement<long>> ObserveSessions()
    {
        var counts = _sessions;
        if (counts.Length != 4)
        {
            yield break;
        }

        yield return new(counts[0], new KeyValuePair<string, object?>("status", "active"));
        yield return new(counts[1], new KeyValuePair<string, object?>("status", "handed_off"));
        yield return new(counts[2], new KeyValuePair<string, object?>("status", "completed"));
        yield return new(counts[3], new KeyValuePair<string, object?>("status", "failed"));
    }

    private static string KindTag(LeaseKind kind) => kind == LeaseKind.Session ? "session" : "agent";
}
