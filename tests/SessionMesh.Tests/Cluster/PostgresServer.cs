using System.Diagnostics;
using Npgsql;

namespace SessionMesh.Tests.Cluster;

/// <summary>
/// A throwaway PostgreSQL for the cluster tests, started with the project's own
/// scripts/postgres.sh (which installs the Debian package if the server is missing). Each test gets
/// its own database, so state, catalog and membership never mix between tests.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _directory;

    public string AdminConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("sessionmesh-pg-").FullName;
        var port = Http.HttpSiloPorts.Free();
        AdminConnectionString = (await RunScriptAsync("start", _directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim();
    }

    /// <summary>A new, empty database on this server; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"sm_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ToString();
    }

    public Task StopServerAsync() => RunScriptAsync("stop", _directory!);

    public Task StartServerAsync() => RunScriptAsync("start", _directory!, File.ReadAllText(Path.Combine(_directory!, "port")).Trim());

    public async Task DisposeAsync()
    {
        if (_directory is not null)
        {
            await RunScriptAsync("stop", _directory);
        }
    }

    private static async Task<string> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", "postgres.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"postgres.sh {string.Join(' ', args)} failed: {await stderr}");
        }

        return await stdout;
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SessionMesh.Orleans.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres cluster";
}
