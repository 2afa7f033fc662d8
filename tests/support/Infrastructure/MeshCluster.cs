using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using SessionMesh.Client;
using SessionMesh.Grains;
using SessionMesh.Silo.Hosting;
using SessionMesh.Storage;
using SessionMesh.Topology;

namespace SessionMesh.Tests.Infrastructure;

/// <summary>
/// An in-process cluster whose silos store everything in a real SQLite file, exactly as the
/// embedded silo does. Several clusters built on one directory and service id share their data,
/// which is how a restart is tested.
/// </summary>
public sealed class MeshCluster : IAsyncDisposable
{
    private MeshCluster(InProcessTestCluster cluster, string dataDirectory)
    {
        Cluster = cluster;
        DataDirectory = dataDirectory;
        Sessions = new SessionManager(cluster.Client);
        Agents = new AgentMesh(cluster.Client);
    }

    public InProcessTestCluster Cluster { get; }

    public string DataDirectory { get; }

    public IClusterClient Client => Cluster.Client;

    public AgentMesh Agents { get; }

    public SessionManager Sessions { get; }

    public string DatabasePath => Path.Combine(DataDirectory, MeshStorageExtensions.DatabaseFileName);

    public static string NewDataDirectory() =>
        Directory.CreateTempSubdirectory("sessionmesh-test-").FullName;

    /// <summary>Starts <paramref name="silos"/> silos storing in <paramref name="dataDirectory"/> (a fresh one if null).</summary>
    /// <param name="dataDirectory">Where the SQLite database lives; clusters on one directory share their data.</param>
    /// <param name="serviceId">The Orleans service id: rows are keyed by it.</param>
    /// <param name="silos">How many silos.</param>
    /// <param name="clock">The mesh's clock in the silos (<see cref="MeshClock"/>); the system's if null.</param>
    public static async Task<MeshCluster> StartAsync(string? dataDirectory = null, string serviceId = "sessionmesh-test", short silos = 1, TimeProvider? clock = null)
    {
        var directory = dataDirectory ?? NewDataDirectory();
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            if (clock is not null)
            {
                silo.Services.AddKeyedSingleton(MeshClock.Key, clock);
            }

            silo.UseSessionMesh(directory);
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(TopologyStream.Provider));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new MeshCluster(cluster, directory);
    }

    /// <summary>Runs SQL straight against the cluster's database (fault injection, inspection).</summary>
    public Task ExecuteSqlAsync(string sql) => ExecuteSqlAsync(DataDirectory, sql);

    /// <summary>Runs SQL straight against the database in a data directory.</summary>
    public static async Task ExecuteSqlAsync(string dataDirectory, string sql)
    {
        await using var connection = await OpenAsync(dataDirectory);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row a query answers, as text ("" for none or NULL).</summary>
    public Task<string> QueryAsync(string sql) => QueryAsync(DataDirectory, sql);

    /// <inheritdoc cref="QueryAsync(string)"/>
    public static async Task<string> QueryAsync(string dataDirectory, string sql)
    {
        await using var connection = await OpenAsync(dataDirectory);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
    }

    private static async Task<SqliteConnection> OpenAsync(string dataDirectory)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, MeshStorageExtensions.DatabaseFileName)};Pooling=False;Default Timeout=30");
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
