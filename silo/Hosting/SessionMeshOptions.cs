namespace SessionMesh.Silo.Hosting;

/// <summary>The silo's own settings, section "SessionMesh" (env: SessionMesh__DataDirectory, …).</summary>
public sealed class SessionMeshOptions
{
    public const string Section = "SessionMesh";

    /// <summary>Where the embedded SQLite database lives.</summary>
    public string DataDirectory { get; set; } = ".sessionmesh";

    /// <summary>The address the HTTP API and dashboard listen on.</summary>
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

    /// <summary>The address other silos and clients reach this silo at (cluster mode).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>The cluster's id; silos with the same id and database form one cluster.</summary>
    public string ClusterId { get; set; } = "sessionmesh";

    /// <summary>The service's id: the key of all stored state. Keep it across deployments.</summary>
    public string ServiceId { get; set; } = "sessionmesh";
}
