using System.Security.Cryptography;
using SessionMesh.Silo.Hosting;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>
/// The bootstrap admin key: from configuration (SessionMesh:AdminKey or SESSION_MESH_ADMIN_KEY) or,
/// when none is configured, generated at first start into {data}/admin.key (owner-only). Only its
/// hash is kept in memory, and the key itself is never logged — only the file's path.
/// </summary>
public sealed partial class AdminKey
{
    public const string FileName = "admin.key";

    private readonly byte[] _hash;

    private AdminKey(byte[] hash, string? filePath)
    {
        _hash = hash;
        FilePath = filePath;
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(hash).AsSpan(0, 8));
    }

    /// <summary>A short digest of the key's hash: a sign-in made with the key is bound to it, so changing the key ends those sign-ins.</summary>
    public string Fingerprint { get; }

    /// <summary>Where the generated key lives, or null when it came from configuration.</summary>
    public string? FilePath { get; }

    public static AdminKey Load(IConfiguration configuration, SessionMeshOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var configured = configuration["SessionMesh:AdminKey"] ?? configuration["SESSION_MESH_ADMIN_KEY"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (configured.Length < 16)
            {
                throw new InvalidOperationException("The configured admin key must be at least 16 characters.");
            }

            LogConfigured(logger);
            return new AdminKey(SessionKeyToken.Hash(configured.Trim()), null);
        }

        var directory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            var key = $"smk_admin_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(path, create))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(key);
            }

            LogGenerated(logger, path);
        }
        else
        {
            LogFromFile(logger, path);
        }

        return new AdminKey(SessionKeyToken.Hash(File.ReadAllText(path).Trim()), path);
    }

    /// <summary>Whether a presented token is the admin key (constant-time on the hashes).</summary>
    public bool Matches(string token) => CryptographicOperations.FixedTimeEquals(SessionKeyToken.Hash(token), _hash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin key: from configuration.")]
    private static partial void LogConfigured(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No admin key configured: generated one into {Path} (readable by its owner only). Use it as 'Authorization: Bearer <key>'.")]
    private static partial void LogGenerated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin key: read from {Path}.")]
    private static partial void LogFromFile(ILogger logger, string path);
}
