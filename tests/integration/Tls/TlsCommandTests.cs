using SessionMesh.Client.Tls;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Tls;

/// <summary>The silo's `tls init` verb and its cluster-mode check, run as the real published silo process.</summary>
[Trait("Category", "Tls")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TlsCommandTests
{
    [Fact]
    public async Task Tls_init_creates_owner_only_certificates_once_and_keeps_them_on_a_second_run()
    {
        var directory = Path.Combine(Directory.CreateTempSubdirectory("sessionmesh-tls-init-").FullName, "mesh-tls");

        var first = await RunSiloAsync(["tls", "init", directory]);
        Assert.True(first.ExitCode == 0, first.Output);
        var written = MeshTlsFiles.All.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(directory, f)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.All(MeshTlsFiles.All.Where(f => f.EndsWith(".key", StringComparison.Ordinal)),
            f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, f))));

        // The certificates are usable as written: each chains to the CA in its role.
        using (var silo = MeshTlsCredentials.Load(directory, MeshPeerRole.Silo))
        using (var client = MeshTlsCredentials.Load(directory, MeshPeerRole.Client))
        {
            Assert.Null(MeshPeerValidation.Check(silo.Certificate, silo.Authority, MeshPeerRole.Silo));
            Assert.Null(MeshPeerValidation.Check(client.Certificate, client.Authority, MeshPeerRole.Client));
            Assert.NotNull(MeshPeerValidation.Check(client.Certificate, client.Authority, MeshPeerRole.Silo)); // a client can never pass for a silo
        }

        var second = await RunSiloAsync(["tls", "init", directory]);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.All(written, f => Assert.Equal(f.Value, File.ReadAllBytes(Path.Combine(directory, f.Key))));
    }

    [Fact]
    public async Task A_clustered_silo_without_the_tls_directory_refuses_to_start_naming_the_setting()
    {
        var result = await RunSiloAsync(["--SessionMesh:HttpUrl=http://127.0.0.1:1"], new() { ["SESSION_MESH_POSTGRES"] = "Host=127.0.0.1;Port=1;Username=none" });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("SessionMesh:Tls:Directory", result.Output, StringComparison.Ordinal);
        Assert.Contains("tls init", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clustered_silo_with_an_empty_tls_directory_refuses_to_start_naming_the_files()
    {
        var empty = Directory.CreateTempSubdirectory("sessionmesh-tls-empty-").FullName;

        var result = await RunSiloAsync(["--SessionMesh:HttpUrl=http://127.0.0.1:1", $"--SessionMesh:Tls:Directory={empty}"], new() { ["SESSION_MESH_POSTGRES"] = "Host=127.0.0.1;Port=1;Username=none" });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(empty, result.Output, StringComparison.Ordinal);
        Assert.Contains("ca.crt", result.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunSiloAsync(string[] args, Dictionary<string, string?>? environment = null)
    {
        var run = await ChildProcess.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "SessionMesh.Silo.dll"), .. args],
            TimeSpan.FromMinutes(2),
            Directory.CreateTempSubdirectory("sessionmesh-tls-cwd-").FullName,
            environment);
        return (run.ExitCode, run.Output);
    }
}
