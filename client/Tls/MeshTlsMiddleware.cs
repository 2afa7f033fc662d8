using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace SessionMesh.Client.Tls;

/// <summary>Which end of the TCP connection this middleware runs on.</summary>
public enum MeshTlsSide
{
    /// <summary>It accepted the connection (the gateway or the silo port).</summary>
    Server,

    /// <summary>It opened the connection (an application's client or a silo calling another).</summary>
    Client,
}

/// <summary>
/// Mutual TLS on an Orleans connection: runs the handshake over the raw transport before Orleans
/// sends its first byte, then hands Orleans a transport that reads and writes through the TLS
/// stream. Both ends present a certificate and both check the other's against the mesh's CA
/// (<see cref="MeshPeerValidation"/>). A server end that refuses a peer just closes the connection;
/// a client end throws, so the caller learns why.
/// </summary>
internal sealed partial class MeshTlsMiddleware(
    ConnectionDelegate next, MeshTlsCredentials credentials, MeshTlsSide side, MeshPeerRole peerRole, TimeSpan handshakeTimeout, ILogger logger)
{
    // Only the mesh's own CA makes a peer trusted, so no older protocol needs to be spoken; TLS 1.2
    // stays for platforms whose TLS stack lacks 1.3 (macOS); both ends here negotiate 1.3 where they can.
    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    // The leaf alone is sent: every peer already holds the CA.
    private readonly SslStreamCertificateContext _certificate = SslStreamCertificateContext.Create(credentials.Certificate, additionalCertificates: null, offline: true);

    public async Task OnConnectionAsync(ConnectionContext context)
    {
        // The handshake waits on the network: never hold the caller (the listener's accept loop) meanwhile.
        await Task.Yield();
        var transport = context.Transport;
        string? refusal = null;
        var ssl = new SslStream(new PipeStream(transport), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            refusal = MeshPeerValidation.Check(certificate, credentials.Authority, peerRole);
            return refusal is null;
        });

        try
        {
            using var timeout = new CancellationTokenSource(handshakeTimeout);
            // A peer that stalls mid-handshake must not hold the connection open: abort the socket too.
            using var abort = timeout.Token.UnsafeRegister(static c => ((ConnectionContext)c!).Abort(new ConnectionAbortedException("TLS handshake timed out")), context);
            if (side == MeshTlsSide.Server)
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _certificate,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = Protocols,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, timeout.Token);
            }
            else
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "sessionmesh",
                    ClientCertificateContext = _certificate,
                    EnabledSslProtocols = Protocols,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }, timeout.Token);
            }
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or ConnectionAbortedException)
        {
            await ssl.DisposeAsync();
            var reason = refusal is not null ? $"the peer was refused: {refusal}"
                : e is OperationCanceledException ? $"the TLS handshake did not finish within {handshakeTimeout.TotalSeconds:0.#} s"
                : $"the TLS handshake failed: {e.Message}";
            LogRefused(logger, side, context.RemoteEndPoint?.ToString() ?? "?", reason);
            if (side == MeshTlsSide.Server)
            {
                return; // closing is the whole answer a stranger gets
            }

            throw new MeshTlsException(
                $"Mutual TLS with {context.RemoteEndPoint} failed: {reason}. This end's certificate is {credentials.Certificate.Subject} " +
                $"from {credentials.Directory}; both ends must use certificates from the same mesh CA ({MeshTlsFiles.AuthorityCertificate}).", e);
        }

        var secured = new TlsPipe(ssl, context.Features.Get<IMemoryPoolFeature>()?.MemoryPool);
        context.Transport = secured;
        try
        {
            await next(context);
        }
        finally
        {
            // Orleans closes the socket through the transport it was given first.
            context.Transport = transport;
            await secured.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mesh TLS ({Side}) with {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, MeshTlsSide side, string remote, string reason);

    /// <summary>The transport Orleans sees once the handshake is done: pipes over the TLS stream.</summary>
    private sealed class TlsPipe(SslStream ssl, MemoryPool<byte>? pool) : IDuplexPipe, IAsyncDisposable
    {
        private int _disposed;

        public PipeReader Input { get; } = PipeReader.Create(ssl, new StreamPipeReaderOptions(pool, leaveOpen: true));

        public PipeWriter Output { get; } = PipeWriter.Create(ssl, new StreamPipeWriterOptions(pool, leaveOpen: true));

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            // Pipes first (no more reads or writes start), then the stream; SslStream's own
            // disposal sends nothing, so it cannot wait on a peer that is gone.
            await Input.CompleteAsync();
            await Output.CompleteAsync();
            await ssl.DisposeAsync();
        }
    }
}
