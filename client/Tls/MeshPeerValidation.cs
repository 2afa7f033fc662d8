using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SessionMesh.Client.Tls;

/// <summary>
/// Decides whether a peer's certificate belongs to the mesh: it must chain to the mesh's own CA and
/// nothing else (the machine's trusted roots count for nothing), and carry the usage of the role it
/// claims — server authentication for a silo, client authentication for an application. Peers are
/// identified by the CA alone, not by host name: silos reach each other at advertised IP addresses.
/// </summary>
public static class MeshPeerValidation
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>Null when <paramref name="presented"/> is acceptable as a <paramref name="role"/>, else why not.</summary>
    public static string? Check(X509Certificate? presented, X509Certificate2 authority, MeshPeerRole role)
    {
        ArgumentNullException.ThrowIfNull(authority);
        if (presented is null)
        {
            return "no certificate was presented";
        }

        var owned = presented as X509Certificate2 is null;
        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        try
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            // A private CA publishes no revocation list; rotating means a new CA (tls init on a new directory).
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(role == MeshPeerRole.Silo ? ServerAuthentication : ClientAuthentication));
            if (!chain.Build(certificate))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
                return $"the certificate '{certificate.Subject}' is not a mesh {role.ToString().ToLowerInvariant()} certificate issued by '{authority.Subject}' ({status})";
            }

            var root = chain.ChainElements[^1].Certificate;
            return root.RawDataMemory.Span.SequenceEqual(authority.RawDataMemory.Span)
                ? null
                : $"the certificate '{certificate.Subject}' chains to '{root.Subject}', not to the mesh's CA";
        }
        finally
        {
            if (owned)
            {
                certificate.Dispose();
            }
        }
    }
}
