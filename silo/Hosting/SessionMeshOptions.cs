namespace SessionMesh.Silo.Hosting;

/// <summary>The silo's own settings, section "SessionMesh" (env: SessionMesh__DataDirectory, …).</summary>
public sealed class SessionMeshOptions
{
    public const string Section = "SessionMesh";

    /// <summary>Where the embedded SQLite database lives.</summary>
    public string DataDirectory { get; set; } = ".sessionmesh";

    /// <summary>
    /// The address the HTTP API and dashboard listen on when none of ASP.NET Core's own switches
    /// (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>, <c>Kestrel:Endpoints</c>) is set.
    /// </summary>
    public string HttpUrl { get; set; } = "http://127.0.0.1:5280";

    /// <summary>Port silos talk to each other on.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// A PostgreSQL connection string (env: SESSION_MESH_POSTGRES). When set, clustering, storage and
    /// reminders use PostgreSQL and any number of silos form one cluster; otherwise one embedded silo on SQLite.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// The address other silos and clients reach this silo at (cluster mode): an IP address, a host
    /// name resolved at start, or <c>auto</c> for this machine's own host name (a container's address).
    /// </summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>The cluster's id; silos with the same id and database form one cluster.</summary>
    public string ClusterId { get; set; } = "sessionmesh";

    /// <summary>The service's id: the key of all stored state. Keep it across deployments.</summary>
    public string ServiceId { get; set; } = "sessionmesh";

    /// <summary>
    /// <c>embedded</c> (one silo on SQLite) or <c>cluster</c> (PostgreSQL); unset means cluster exactly
    /// when a connection string is given. Asking for cluster without a connection string is an error.
    /// </summary>
    public string? Mode { get; set; }

    /// <summary>The bootstrap admin key (env: SESSION_MESH_ADMIN_KEY); generated into the data directory when unset.</summary>
    public string? AdminKey { get; set; }

    /// <summary>How long <c>/health/ready</c> waits for storage before it answers 503, whatever the database does.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Use Orleans' Kubernetes hosting (cluster ids from pod labels, the pod's IP, dead pods removed
    /// from membership) when running in a pod. Only takes effect where KUBERNETES_SERVICE_HOST is set.
    /// </summary>
    public bool KubernetesHosting { get; set; }

    /// <summary>
    /// Use Orleans' (experimental) distributed grain directory: when a silo dies, the directory
    /// ranges it owned are rebuilt from the survivors' own activations instead of being lost, so
    /// grains on survivors (liveness shards among them) stay where they are. Off by default.
    /// </summary>
    public bool DistributedGrainDirectory { get; set; }

    /// <summary>Metrics and traces.</summary>
    public MeshTelemetryOptions Telemetry { get; set; } = new();
}

/// <summary>Settings "SessionMesh:Telemetry:*".</summary>
public sealed class MeshTelemetryOptions
{
    /// <summary>Serve Prometheus metrics at <c>/metrics</c> (admin key required).</summary>
    public bool PrometheusEndpoint { get; set; } = true;

    /// <summary>How often the sessions-by-status gauges re-read the stored counters (never a scan).</summary>
    public TimeSpan StatsRefresh { get; set; } = TimeSpan.FromSeconds(15);
}
