using System.Security.Cryptography.X509Certificates;

namespace SessionMesh.Client.Tls;

/// <summary>
/// What one end of a mesh connection holds: its own certificate with the private key, and the
/// mesh's CA certificate, the only root its peers may chain to.
/// </summary>
public sealed class MeshTlsCredentials : IDisposable
{
    private MeshTlsCredentials(X509Certificate2 certificate, X509Certificate2 authority, MeshPeerRole role, string directory)
    {
        Certificate = certificate;
        Authority = authority;
        Role = role;
        Directory = directory;
    }

    /// <summary>This end's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The mesh's CA certificate (public part only).</summary>
    public X509Certificate2 Authority { get; }

    public MeshPeerRole Role { get; }

    /// <summary>The directory the files were read from (absolute).</summary>
    public string Directory { get; }

    /// <summary>Reads the CA and the <paramref name="role"/>'s certificate and key from <paramref name="directory"/>.</summary>
    /// <exception cref="MeshTlsException">A file is missing or unreadable; the message names it and how to create it.</exception>
    public static MeshTlsCredentials Load(string directory, MeshPeerRole role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        var authorityPath = Path.Combine(full, MeshTlsFiles.AuthorityCertificate);
        var certificatePath = Path.Combine(full, MeshTlsFiles.CertificateFile(role));
        var keyPath = Path.Combine(full, MeshTlsFiles.KeyFile(role));
        foreach (var path in new[] { authorityPath, certificatePath, keyPath })
        {
            if (!File.Exists(path))
            {
                throw new MeshTlsException(
                    $"The mesh's TLS file {path} does not exist. The embedded silo writes its CA and certificates into " +
                    $"{{DataDirectory}}/{MeshTlsFiles.DataSubdirectory}/ at first start; for a cluster run " +
                    $"'dotnet SessionMesh.Silo.dll tls init <dir>' and point {MeshTlsFiles.DirectorySetting} (environment SessionMesh__Tls__Directory) at that directory.");
            }
        }

        try
        {
            var authority = X509CertificateLoader.LoadCertificateFromFile(authorityPath);
            var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (OperatingSystem.IsWindows())
            {
                // SChannel cannot use a key that only lives in memory: give it a persisted one.
                using var ephemeral = certificate;
                certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
            }

            return new MeshTlsCredentials(certificate, authority, role, full);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new MeshTlsException($"The mesh's TLS files in {full} cannot be read ({e.Message}). Recreate the directory with 'tls init'.", e);
        }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        Authority.Dispose();
    }
}

/// <summary>The mesh's TLS files are missing or unusable, or a peer's certificate was refused.</summary>
public sealed class MeshTlsException : Exception
{
    public MeshTlsException()
    {
    }

    public MeshTlsException(string message)
        : base(message)
    {
    }

    public MeshTlsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
