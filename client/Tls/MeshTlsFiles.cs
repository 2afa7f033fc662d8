namespace SessionMesh.Client.Tls;

/// <summary>
/// The files of a mesh's TLS directory: the private CA, the silo certificate and the client
/// certificate, each a PEM certificate with its PEM (PKCS#8) key. The embedded silo writes them into
/// <c>{DataDirectory}/tls</c> at first start; <c>SessionMesh.Silo tls init DIR</c> writes them for a cluster.
/// </summary>
public static class MeshTlsFiles
{
    /// <summary>The configuration key naming the directory (environment: SessionMesh__Tls__Directory).</summary>
    public const string DirectorySetting = "SessionMesh:Tls:Directory";

    /// <summary>The directory inside a data directory that holds the embedded silo's certificates.</summary>
    public const string DataSubdirectory = "tls";

    public const string AuthorityCertificate = "ca.crt";

    public const string AuthorityKey = "ca.key";

    /// <summary>The certificate file of a role: <c>silo.crt</c> or <c>client.crt</c>.</summary>
    public static string CertificateFile(MeshPeerRole role) => role == MeshPeerRole.Silo ? "silo.crt" : "client.crt";

    /// <summary>The key file of a role: <c>silo.key</c> or <c>client.key</c>.</summary>
    public static string KeyFile(MeshPeerRole role) => role == MeshPeerRole.Silo ? "silo.key" : "client.key";

    /// <summary>Every file a complete TLS directory holds.</summary>
    public static IReadOnlyList<string> All { get; } =
        [AuthorityCertificate, AuthorityKey, CertificateFile(MeshPeerRole.Silo), KeyFile(MeshPeerRole.Silo), CertificateFile(MeshPeerRole.Client), KeyFile(MeshPeerRole.Client)];
}

/// <summary>Which side of the mesh a certificate speaks for.</summary>
public enum MeshPeerRole
{
    /// <summary>A silo: accepted on the silo-to-silo port (and the gateway). Its certificate allows server authentication.</summary>
    Silo,

    /// <summary>An application's Orleans client: accepted on the gateway only.</summary>
    Client,
}
