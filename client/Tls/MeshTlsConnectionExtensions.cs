using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SessionMesh.Client.Tls;

/// <summary>Adds the mesh's mutual TLS to an Orleans connection pipeline.</summary>
public static class MeshTlsConnectionExtensions
{
    /// <summary>How long a peer gets to finish the handshake before the connection is dropped.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs mutual TLS on each connection of <paramref name="builder"/>: this end presents
    /// <paramref name="credentials"/>, and the peer must present a <paramref name="peerRole"/>
    /// certificate issued by the same CA.
    /// </summary>
    public static IConnectionBuilder UseMeshTls(this IConnectionBuilder builder, MeshTlsCredentials credentials, MeshTlsSide side, MeshPeerRole peerRole, TimeSpan? handshakeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(credentials);
        var logger = builder.ApplicationServices.GetService<ILoggerFactory>()?.CreateLogger("SessionMesh.Tls") ?? NullLogger.Instance;
        return builder.Use(next => new MeshTlsMiddleware(next, credentials, side, peerRole, handshakeTimeout ?? DefaultHandshakeTimeout, logger).OnConnectionAsync);
    }
}
