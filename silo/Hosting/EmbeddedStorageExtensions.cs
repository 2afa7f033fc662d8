using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using SessionMesh.Grains;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Sessions;
using SessionMesh.Silo.Storage;

namespace SessionMesh.Silo.Hosting;

/// <summary>Wires the embedded SQLite store into a silo: grain state, reminders and the session catalog.</summary>
public static class EmbeddedStorageExtensions
{
    /// <summary>The providers' invariant name for Microsoft.Data.Sqlite (not "Microsoft.Data.Sqlite").</summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>The database file inside the data directory.</summary>
    public const string DatabaseFileName = "sessionmesh.db";

    /// <summary>
    /// Stores everything in <c>{dataDirectory}/sessionmesh.db</c>, created and migrated at start.
    /// </summary>
    public static ISiloBuilder UseEmbeddedStorage(this ISiloBuilder silo, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var directory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(directory);
        var dataSource = new GatedSqliteDataSource(Path.Combine(directory, DatabaseFileName));

        silo.Services.AddSingleton(dataSource);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SqliteSchemaParticipant>();
        silo.Services.AddSingleton<ISessionCatalog, SqliteSessionCatalog>();
        silo.Services.AddSingleton<ILeaseStore, SqliteLeaseStore>();
        silo.Services.AddSingleton<IMeshCounters, SqliteMeshCounters>();

        foreach (var name in new[] { MeshStorage.Name, MeshSiloExtensions.PubSubStore })
        {
            silo.AddAdoNetGrainStorage(name, (OptionsBuilder<AdoNetGrainStorageOptions> options) =>
                options.Configure<Serializer>((o, serializer) =>
                {
                    o.Invariant = SqliteInvariant;
                    o.DataSource = dataSource;
                    // Orleans' own version-tolerant binary format: [Id]-numbered fields, polymorphic results.
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
        }

        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = SqliteInvariant;
            o.DataSource = dataSource;
        });
        return silo;
    }

    /// <summary>Applies the schema before any provider reads its queries.</summary>
    private sealed class SqliteSchemaParticipant(GatedSqliteDataSource dataSource, ILogger<SqliteSchemaParticipant> logger)
        : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SqliteSchemaParticipant), ServiceLifecycleStage.First, async ct =>
            {
                await SqliteSchema.ApplyAsync(dataSource, logger, ct);
                logger.LogInformation("SessionMesh data: SQLite database at {DatabasePath}", dataSource.DatabasePath);
            });
    }
}
