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
}
