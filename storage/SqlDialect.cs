namespace SessionMesh.Storage;

/// <summary>The two databases SessionMesh stores in; names the folder of each one's SQL.</summary>
public enum SqlDialect
{
    /// <summary>Embedded, single silo (Microsoft.Data.Sqlite).</summary>
    Sqlite,

    /// <summary>Shared by many silos (Npgsql).</summary>
    Postgres,
}
