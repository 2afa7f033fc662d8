using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SessionMesh.Client.Tls;
using SessionMesh.Storage;

namespace SessionMesh.Silo.Security;

/// <summary>
/// The mesh's private certificate authority: an ECDSA P-256 CA that issues one silo certificate
/// (server and client authentication: silos accept and open connections) and one client
/// certificate (client authentication only: an app can use the gateway, never join as a silo).
/// Every file is written once, owner-only, and reused on later starts.
/// </summary>
public static class MeshCertificateAuthority
{
    private static readonly TimeSpan AuthorityLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(825);

    /// <summary>Whether <paramref name="directory"/> holds every file of a mesh's TLS directory.</summary>
    public static bool IsComplete(string directory) => MeshTlsFiles.All.All(f => File.Exists(Path.Combine(directory, f)));

    /// <summary>
    /// Creates whatever is missing in <paramref name="directory"/> (0700): the CA, then the silo and
    /// client certificates issued by it. Returns whether anything was created.
    /// </summary>
    public static bool EnsureCreated(string directory, TimeProvider? time = null)
    {
        var full = OwnerOnlyFiles.Directory(directory);
        if (IsComplete(full))
        {
            return false;
        }

        var now = (time ?? TimeProvider.System).GetUtcNow();
        var authorityCertificatePath = Path.Combine(full, MeshTlsFiles.AuthorityCertificate);
        var authorityKeyPath = Path.Combine(full, MeshTlsFiles.AuthorityKey);
        X509Certificate2 authority;
        if (File.Exists(authorityCertificatePath) && File.Exists(authorityKeyPath))
        {
            authority = X509Certificate2.CreateFromPemFile(authorityCertificatePath, authorityKeyPath);
        }
        else if (File.Exists(authorityCertificatePath) || File.Exists(authorityKeyPath))
        {
            throw new MeshTlsException($"{full} holds only half of the mesh CA ({MeshTlsFiles.AuthorityCertificate} and {MeshTlsFiles.AuthorityKey} go together); restore the missing file or start from an empty directory.");
        }
        else
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN=SessionMesh CA {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}, O=SessionMesh", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
            authority = request.CreateSelfSigned(now.AddHours(-1), now.Add(AuthorityLifetime));
            OwnerOnlyFiles.WriteSecret(authorityKeyPath, key.ExportPkcs8PrivateKeyPem());
            OwnerOnlyFiles.WriteSecret(authorityCertificatePath, authority.ExportCertificatePem());
        }

        using (authority)
        {
            foreach (var role in new[] { MeshPeerRole.Silo, MeshPeerRole.Client })
            {
                var certificatePath = Path.Combine(full, MeshTlsFiles.CertificateFile(role));
                var keyPath = Path.Combine(full, MeshTlsFiles.KeyFile(role));
                if (File.Exists(certificatePath) && File.Exists(keyPath))
                {
                    continue;
                }

                File.Delete(certificatePath);
                File.Delete(keyPath);
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                using var certificate = Issue(authority, key, role, now);
                OwnerOnlyFiles.WriteSecret(keyPath, key.ExportPkcs8PrivateKeyPem());
                OwnerOnlyFiles.WriteSecret(certificatePath, certificate.ExportCertificatePem());
            }
        }

        return true;
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, ECDsa key, MeshPeerRole role, DateTimeOffset now)
    {
        var request = new CertificateRequest($"CN=SessionMesh {role.ToString().ToLowerInvariant()}, O=SessionMesh", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        var usages = new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }; // client authentication
        if (role == MeshPeerRole.Silo)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1")); // server authentication: only silos accept connections
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("sessionmesh");
            names.AddDnsName("localhost");
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        var notAfter = now.Add(LeafLifetime) < authority.NotAfter ? now.Add(LeafLifetime) : new DateTimeOffset(authority.NotAfter);
        return request.Create(authority, now.AddHours(-1), notAfter, serial);
    }
}
