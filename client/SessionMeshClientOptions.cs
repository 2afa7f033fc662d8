using SessionMesh.Client.Tls;

namespace SessionMesh.Client;

/// <summary>
/// Where a SessionMesh silo is and how to prove to it that this app belongs to the mesh. Read from
/// the configuration section "SessionMesh" (the silo's own keys: GatewayPort, DataDirectory,
/// ClusterId, ServiceId, Tls:Directory), then changed by the delegate given to
/// <see cref="SessionMeshClientExtensions.UseSessionMeshClient"/>.
/// </summary>
public sealed class SessionMeshClientOptions
{
    /// <summary>The host of the gateway (a name or an address).</summary>
    public string GatewayHost { get; set; } = "127.0.0.1";

    /// <summary>The silo's gateway port (its SessionMesh:GatewayPort).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Several gateways as <c>host:port</c> (a cluster); when given, used instead of GatewayHost/GatewayPort.</summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>The silo's cluster id (its SessionMesh:ClusterId).</summary>
    public string ClusterId { get; set; } = "sessionmesh";

    /// <summary>The silo's service id (its SessionMesh:ServiceId).</summary>
    public string ServiceId { get; set; } = "sessionmesh";

    /// <summary>The embedded silo's data directory; its <c>tls/</c> folder holds the client certificate.</summary>
    public string DataDirectory { get; set; } = ".sessionmesh";

    /// <summary>A folder with <c>ca.crt</c>, <c>client.crt</c> and <c>client.key</c> (SessionMesh:Tls:Directory); default {DataDirectory}/tls.</summary>
    public string? TlsDirectory { get; set; }

    /// <summary>How long starting the client keeps trying to reach a gateway before it throws.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The certificate folder actually used.</summary>
    public string ResolvedTlsDirectory => Path.GetFullPath(string.IsNullOrWhiteSpace(TlsDirectory) ? Path.Combine(DataDirectory, MeshTlsFiles.DataSubdirectory) : TlsDirectory);
}
