using System.Net;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Tls;

/// <summary>What the embedded silo keeps on disk is readable by its own user only.</summary>
[Trait("Category", "Tls")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataFilePermissionTests
{
    private const UnixFileMode OwnerDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task The_data_directory_is_0700_and_the_database_its_journal_and_keys_are_0600()
    {
        await using var silo = await TlsSilo.StartAsync();
        await WriteSomethingAsync(silo);

        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(silo.DataDirectory));
        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(silo.TlsDirectory));
        var database = Path.Combine(silo.DataDirectory, "sessionmesh.db");
        Assert.True(File.Exists(database + "-wal") && File.Exists(database + "-shm"), "WAL mode keeps -wal and -shm files while the silo runs");
        foreach (var file in Directory.GetFiles(silo.DataDirectory).Concat(Directory.GetFiles(silo.TlsDirectory)))
        {
            Assert.True(File.GetUnixFileMode(file) == OwnerFile, $"{file} is {File.GetUnixFileMode(file)}");
        }
    }

    [Fact]
    public async Task A_data_directory_an_older_version_left_readable_is_tightened_at_start()
    {
        var directory = Path.Combine(Directory.CreateTempSubdirectory("sessionmesh-loose-").FullName, "data");
        var loose = OwnerDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(directory, loose);
        var database = Path.Combine(directory, "sessionmesh.db");
        await File.WriteAllBytesAsync(database, []);
        File.SetUnixFileMode(database, OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using var silo = await TlsSilo.StartAsync(directory);
        await WriteSomethingAsync(silo);

        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(directory));
        Assert.Equal(OwnerFile, File.GetUnixFileMode(database));
        Assert.Equal(OwnerFile, File.GetUnixFileMode(database + "-wal"));
    }

    private static async Task WriteSomethingAsync(TlsSilo silo)
    {
        using var response = await silo.Admin.PostAsync("/api/session-mesh/registry", HttpSilo.Json($$"""{"specialization": "perm", "agent_id": "perm-{{Guid.NewGuid():N}}"}"""));
        Assert.True(response.IsSuccessStatusCode, $"register answered {(int)response.StatusCode}");
    }
}
