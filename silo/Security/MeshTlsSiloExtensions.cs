using Orleans.Configuration;
using SessionMesh.Client.Tls;
using SessionMesh.Storage;

namespace SessionMesh.Silo.Security;

/// <summary>
/// Mutual TLS on every Orleans connection of a silo: the gateway accepts only peers with a mesh
/// client (or silo) certificate, the silo port only peers with a mesh silo certificate, and
/// connections to other silos check theirs. Wired by the host (SiloApp), not by UseSessionMesh, so
/// in-process test clusters keep running without certificates.
/// </summary>
public static partial class MeshTlsSiloExtensions
{
    /// <summary>
    /// Mutual TLS with the certificates of <c>SessionMesh:Tls:Directory</c>, or of
    /// <c>{dataDirectory}/tls</c>, created at first start, for the embedded silo. A clustered silo
    /// needs the directory configured and populated (<c>tls init</c>).
    /// </summary>
    /// <exception cref="MeshTlsConfigurationException">Cluster mode without a complete TLS directory.</exception>
    public static ISiloBuilder UseMeshTls(this ISiloBuilder silo, IConfiguration configuration, string dataDirectory, bool clustered)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration[MeshTlsFiles.DirectorySetting];
        string directory;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            directory = Path.GetFullPath(configured);
        }
        else if (clustered)
        {
            throw new MeshTlsConfigurationException(
                $"A clustered silo needs the mesh's certificates: set {MeshTlsFiles.DirectorySetting} (environment SessionMesh__Tls__Directory) " +
                "to a directory every silo shares, created once with 'dotnet SessionMesh.Silo.dll tls init <dir>' (or 'dotnet run --project silo -- tls init <dir>').");
        }
        else
        {
            directory = Path.Combine(Path.GetFullPath(dataDirectory), MeshTlsFiles.DataSubdirectory);
        }

        if (clustered)
        {
            if (!MeshCertificateAuthority.IsComplete(directory))
            {
                throw new MeshTlsConfigurationException(
                    $"{MeshTlsFiles.DirectorySetting} is {directory}, which does not hold the mesh's certificates ({string.Join(", ", MeshTlsFiles.All)}). " +
                    $"Create them once with 'dotnet SessionMesh.Silo.dll tls init {directory}' and share the directory with every silo.");
            }
        }
        else
        {
            OwnerOnlyFiles.Directory(dataDirectory);
            MeshCertificateAuthority.EnsureCreated(directory);
        }

        return silo.UseMeshTls(MeshTlsCredentials.Load(directory, MeshPeerRole.Silo));
    }

    /// <summary>Mutual TLS on the gateway, the silo port and outbound silo connections with <paramref name="credentials"/>.</summary>
    public static ISiloBuilder UseMeshTls(this ISiloBuilder silo, MeshTlsCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(credentials);
        silo.Services.AddSingleton(credentials);
        silo.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureGatewayInboundConnection(c => c.UseMeshTls(credentials, MeshTlsSide.Server, MeshPeerRole.Client));
            o.ConfigureSiloInboundConnection(c => c.UseMeshTls(credentials, MeshTlsSide.Server, MeshPeerRole.Silo));
            o.ConfigureSiloOutboundConnection(c => c.UseMeshTls(credentials, MeshTlsSide.Client, MeshPeerRole.Silo));
        });
        return silo;
    }
}

/// <summary>The silo's TLS settings cannot work; the message names the setting and the fix.</summary>
public sealed class MeshTlsConfigurationException : Exception
{
    public MeshTlsConfigurationException()
    {
    }

    public MeshTlsConfigurationException(string message)
        : base(message)
    {
    }

    public MeshTlsConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
