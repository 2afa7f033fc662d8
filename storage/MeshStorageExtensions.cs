using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using SessionMesh.Grains;
using SessionMesh.Grains.Audit;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Sessions;

namespace SessionMesh.Storage;

/// <summary>
/// Wires a database into a silo: grain state, reminders, the session catalog, leases and counters —
/// SQLite for the embedded silo, PostgreSQL (plus clustering) for many silos. The schema is applied
/// before any provider reads its queries.
/// </summary>
public static partial class MeshStorageExtensions
{
    /// <summary>The providers' invariant name for Microsoft.Data.Sqlite (not "Microsoft.Data.Sqlite").</summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    public const string PostgresInvariant = "Npgsql";

    /// <summary>The database file inside the data directory.</summary>
    public const string DatabaseFileName = "sessionmesh.db";

    /// <summary>Stores everything in <c>{dataDirectory}/sessionmesh.db</c>, created and migrated at start.</summary>
    public static ISiloBuilder UseEmbeddedStorage(this ISiloBuilder silo, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var directory = OwnerOnlyFiles.Directory(dataDirectory);
        OwnerOnlyFiles.Database(Path.Combine(directory, DatabaseFileName));
        return silo.UseSqlStorage(new GatedSqliteDataSource(Path.Combine(directory, DatabaseFileName)), SqlDialect.Sqlite, SqliteInvariant);
    }

    /// <summary>Stores everything in PostgreSQL and uses it for cluster membership, so any number of silos share it.</summary>
    public static ISiloBuilder UsePostgresStorage(this ISiloBuilder silo, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        // No driver keepalive (it blocks a pool thread per idle connection on a hung server): the
        // pool watch finds connections a restarted server dropped, asynchronously.
        var dataSource = CreatePostgresDataSource(connectionString);
        silo.Services.AddHostedService(sp => new PostgresPoolWatch(dataSource, sp.GetRequiredService<ILogger<PostgresPoolWatch>>()));
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = PostgresInvariant;
            o.DataSource = dataSource;
        });
        return silo.UseSqlStorage(dataSource, SqlDialect.Postgres, PostgresInvariant);
    }

    /// <summary>Transactions a silo's group committer keeps in flight on a server database.</summary>
    private const int Writers = 2;

    /// <summary>How many of a connection's most used statements Npgsql keeps prepared, unless the connection string says.</summary>
    public const int DefaultMaxAutoPrepare = 32;

    /// <summary>
    /// A data source for <paramref name="connectionString"/> with automatic preparation on: the few
    /// statements a silo repeats (a session's write and read, lease and counter updates) are parsed and
    /// planned once per connection instead of on every call (BENCHMARKS.md: spawns +16 %). A
    /// connection string that sets <c>Max Auto Prepare</c> (0 for a pooler in transaction mode that
    /// cannot keep prepared statements) keeps its value.
    /// </summary>
    /// <remarks>
    /// Connections also go back to the pool without Npgsql's reset (<c>No Reset On Close</c>, unless
    /// the connection string sets it): the reset is seven statements run before the connection's next
    /// use (<c>RESET ALL</c>, <c>pg_advisory_unlock_all()</c>, <c>UNLISTEN *</c>, …), PostgreSQL ran
    /// 268,000 of each in one cluster bench (BENCHMARKS.md), and nothing here leaves session state
    /// behind: no <c>SET</c> outside a transaction, no session-level advisory lock (the migrator's is
    /// transaction-scoped), no <c>LISTEN</c>, no temporary table. A transaction left open is still
    /// rolled back when its connection closes (a test checks it).
    /// </remarks>
    public static NpgsqlDataSource CreatePostgresDataSource(string connectionString)
    {
        // The base builder holds only the keys the string sets (Npgsql's own answers for every key it knows).
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets(given, "Max Auto Prepare", nameof(NpgsqlConnectionStringBuilder.MaxAutoPrepare)))
        {
            settings.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!Sets(given, "No Reset On Close", nameof(NpgsqlConnectionStringBuilder.NoResetOnClose)))
        {
            settings.NoResetOnClose = true;
        }

        return NpgsqlDataSource.Create(settings.ConnectionString);
    }

    private static bool Sets(DbConnectionStringBuilder given, string key, string alias) => given.ContainsKey(key) || given.ContainsKey(alias);

    private static ISiloBuilder UseSqlStorage(this ISiloBuilder silo, DbDataSource dataSource, SqlDialect dialect, string invariant)
    {
        silo.Services.AddSingleton(dataSource);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp =>
            new SchemaParticipant(dataSource, dialect, sp.GetRequiredService<ILogger<SchemaParticipant>>()));
        silo.Services.AddSingleton<ISessionCatalog>(services => new SqlSessionCatalog(dataSource, services.GetRequiredService<Serializer>()));
        silo.Services.AddSingleton<ILeaseStore>(new SqlLeaseStore(dataSource));
        silo.Services.AddSingleton<SessionMesh.Grains.Logs.ISessionLogStore>(new SqlSessionLogStore(dataSource));
        silo.Services.AddSingleton<IMeshCounters>(new SqlMeshCounters(dataSource));
        silo.Services.AddSingleton<SessionMesh.Grains.Agents.IDirectiveStore>(new SqlDirectiveStore(dataSource));
        silo.Services.AddSingleton<IMeshAuditStore>(new SqlAuditStore(dataSource));
        silo.Services.AddSingleton<MeshAuditor>();

        foreach (var name in new[] { MeshStorage.Name, MeshStorage.PubSub })
        {
            silo.AddAdoNetGrainStorage(name, (OptionsBuilder<AdoNetGrainStorageOptions> options) =>
                options.Configure<Serializer>((o, serializer) =>
                {
                    o.Invariant = invariant;
                    o.DataSource = dataSource;
                    // Orleans' own version-tolerant binary format: [Id]-numbered fields, polymorphic results.
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
            silo.Services.TranslateStorageFaults(name, dataSource);
        }

        // One committer per silo; SQLite has a single writer anyway, a server overlaps two transactions
        // (two made larger batches than four, with more spawns per second in back-to-back runs; BENCHMARKS.md).
        silo.Services.AddSingleton(_ => new GroupCommitter(dataSource, writers: dialect == SqlDialect.Sqlite ? 1 : Writers));
        silo.Services.AddSingleton(sp => new SessionStateStorage(dataSource, sp.GetRequiredService<GroupCommitter>(), sp.GetRequiredService<Serializer>(), sp.GetRequiredKeyedService<IGrainStorage>(MeshStorage.Name)));
        silo.Services.AddKeyedSingleton<IGrainStorage>(MeshStorage.Sessions, (sp, _) => new FaultTranslatingGrainStorage(sp.GetRequiredService<SessionStateStorage>(), dataSource));

        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = invariant;
            o.DataSource = dataSource;
        });
        return silo;
    }

    /// <summary>Wraps the grain storage registered as <paramref name="name"/> in <see cref="FaultTranslatingGrainStorage"/>.</summary>
    private static void TranslateStorageFaults(this IServiceCollection services, string name, DbDataSource dataSource)
    {
        var registered = services.Single(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name));
        var create = registered.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"grain storage '{name}' is not registered through a factory; cannot wrap it");
        services.Remove(registered);
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => new FaultTranslatingGrainStorage((IGrainStorage)create(sp, key), dataSource));
    }

    /// <summary>
    /// Applies the schema first thing in the silo's lifecycle. A database that cannot be reached yet
    /// (still starting, a network not up) is retried with backoff, saying why each time, until it
    /// answers or the silo is stopped; nothing else in the silo starts before it.
    /// </summary>
    private sealed partial class SchemaParticipant(DbDataSource dataSource, SqlDialect dialect, ILogger<SchemaParticipant> logger) : ILifecycleParticipant<ISiloLifecycle>
    {
        private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaParticipant), ServiceLifecycleStage.First, async ct =>
            {
                var backoff = TimeSpan.FromSeconds(1);
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await SchemaMigrator.ApplyAsync(dataSource, dialect, logger, ct);
                        break;
                    }
                    catch (Exception ex) when (IsUnreachable(ex) && !ct.IsCancellationRequested)
                    {
                        LogUnreachable(logger, dialect, attempt, backoff.TotalSeconds, ex.GetType().Name, ex.Message);
                        await Task.Delay(backoff, ct);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                    }
                }

                logger.LogInformation("SessionMesh data: {Dialect} at {Location}", dialect,
                    dataSource is GatedSqliteDataSource sqlite ? sqlite.DatabasePath : new NpgsqlConnectionStringBuilder(dataSource.ConnectionString) { Password = null }.ToString());
            });

        /// <summary>Faults worth waiting out: the server is not there (yet), or not answering. A bad password or schema error is not.</summary>
        private static bool IsUnreachable(Exception ex) => ex switch
        {
            NpgsqlException { IsTransient: true } => true,
            NpgsqlException { InnerException: System.Net.Sockets.SocketException or IOException or TimeoutException } => true,
            PostgresException { SqlState: "57P03" } => true, // the database system is starting up
            System.Net.Sockets.SocketException or TimeoutException => true,
            _ => false,
        };

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Dialect} database not reachable at start (attempt {Attempt}): {Kind}: {Reason}. Retrying in {Seconds} s.")]
        private static partial void LogUnreachable(ILogger logger, SqlDialect dialect, int attempt, double seconds, string kind, string reason);
    }
}
