using Npgsql;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Cluster;

/// <summary>
/// The throwaway PostgreSQL of the cluster tests. The test command provisions it (scripts/test.sh
/// starts one with scripts/postgres.sh) and names it in the environment; the tests never install
/// anything. Each test gets its own database, so state, catalog and membership never mix.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>The server's admin connection string.</summary>
    public const string ConnectionVariable = "SESSION_MESH_TEST_POSTGRES";

    /// <summary>The server's directory (scripts/postgres.sh stop|start DIR), for database-restart tests.</summary>
    public const string DirectoryVariable = "SESSION_MESH_TEST_POSTGRES_DIR";

    private string? _directory;

    public string AdminConnectionString { get; private set; } = string.Empty;

    public Task InitializeAsync()
    {
        AdminConnectionString = Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } connection
            ? connection
            : throw new InvalidOperationException($"{ConnectionVariable} is not set: run the tests with ./scripts/test.sh, which starts a throwaway PostgreSQL for them.");
        _directory = Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } directory
            ? directory
            : throw new InvalidOperationException($"{DirectoryVariable} is not set: run the tests with ./scripts/test.sh.");
        return Task.CompletedTask;
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

    /// <summary>The server belongs to the test command, which stops it; a test that stopped it has started it again.</summary>
    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<string> RunScriptAsync(params string[] args)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PG_BIN")))
        {
            throw new InvalidOperationException("PG_BIN is not set: run the tests with ./scripts/test.sh, which provisions PostgreSQL.");
        }

        // PG_BIN (set by the test command) makes the script use the provisioned server, never install one.
        var run = await ChildProcess.RunAsync("bash", [Path.Combine(Repository.Root, "scripts", "postgres.sh"), .. args], TimeSpan.FromMinutes(2));
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"postgres.sh {string.Join(' ', args)} failed: {run.Stderr}");
        }

        return run.Stdout;
    }

}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres cluster";
}
