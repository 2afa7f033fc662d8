using SessionMesh.Client.Tls;

namespace SessionMesh.Silo.Security;

/// <summary>
/// <c>SessionMesh.Silo tls init DIR</c>: writes the mesh's CA, silo and client certificates into
/// DIR (or keeps the ones there) and exits without starting a silo. Run once for a cluster; every
/// silo then gets SessionMesh:Tls:Directory=DIR.
/// </summary>
public static class TlsInitCommand
{
    /// <summary>Whether <paramref name="args"/> asks for a TLS command rather than a silo.</summary>
    public static bool Matches(string[] args) => args is ["tls", ..];

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is not ["tls", "init", var directory] || string.IsNullOrWhiteSpace(directory) || directory.StartsWith('-'))
        {
            error.WriteLine("usage: SessionMesh.Silo tls init <directory>   creates the mesh's CA, silo and client certificates there (kept if present)");
            return 2;
        }

        try
        {
            var full = Path.GetFullPath(directory);
            var created = MeshCertificateAuthority.EnsureCreated(full);
            output.WriteLine(created
                ? $"Mesh certificates written to {full} ({string.Join(", ", MeshTlsFiles.All)}; keys readable by their owner only). Give each silo {MeshTlsFiles.DirectorySetting}={full}."
                : $"Mesh certificates already in {full}; nothing changed.");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MeshTlsException or System.Security.Cryptography.CryptographicException)
        {
            error.WriteLine($"tls init: {e.Message}");
            return 1;
        }
    }
}
