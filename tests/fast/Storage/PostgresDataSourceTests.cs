using Npgsql;
using SessionMesh.Storage;

namespace SessionMesh.Tests.Storage;

/// <summary>
/// The silo prepares the statements it repeats on PostgreSQL and returns connections to the pool
/// without a reset, unless the operator's connection string says otherwise (a pooler in transaction
/// mode cannot keep prepared statements: it needs 0).
/// </summary>
public sealed class PostgresDataSourceTests
{
    [Theory]
    [InlineData("Host=127.0.0.1;Username=postgres", MeshStorageExtensions.DefaultMaxAutoPrepare)]
    [InlineData("Host=127.0.0.1;Username=postgres;Max Auto Prepare=0", 0)]
    [InlineData("Host=127.0.0.1;Username=postgres;MaxAutoPrepare=5", 5)]
    [InlineData("Host=127.0.0.1;Username=postgres;max auto prepare=7", 7)]
    public void Statements_are_prepared_automatically_unless_the_connection_string_sets_it(string connectionString, int expected)
    {
        using var dataSource = MeshStorageExtensions.CreatePostgresDataSource(connectionString);
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Assert.Equal(expected, settings.MaxAutoPrepare);
        Assert.Equal("127.0.0.1", settings.Host);
        Assert.Equal("postgres", settings.Username);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Username=postgres", true)]
    [InlineData("Host=127.0.0.1;Username=postgres;No Reset On Close=false", false)]
    [InlineData("Host=127.0.0.1;Username=postgres;NoResetOnClose=false;Max Auto Prepare=0", false)]
    [InlineData("Host=127.0.0.1;Username=postgres;Max Auto Prepare=0", true)]
    public void Connections_are_not_reset_on_return_unless_the_connection_string_sets_it(string connectionString, bool expected)
    {
        using var dataSource = MeshStorageExtensions.CreatePostgresDataSource(connectionString);
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).NoResetOnClose);
    }
}
