using System.Data.Common;

namespace SessionMesh.Storage;

/// <summary>Named parameters the same way on SQLite and PostgreSQL (both read <c>@name</c>).</summary>
public static class DbCommandExtensions
{
    public static DbCommand AddParameters(this DbCommand command, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(command);
        AddTo(command.Parameters, command.CreateParameter, parameters);
        return command;
    }

    public static DbBatchCommand AddParameters(this DbBatchCommand command, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(command);
        AddTo(command.Parameters, command.CreateParameter, parameters);
        return command;
    }

    private static void AddTo(DbParameterCollection collection, Func<DbParameter> create, (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var (name, value) in parameters)
        {
            var parameter = create();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            collection.Add(parameter);
        }
    }

    /// <summary>Opens a connection and creates a command on it; dispose both via the returned pair.</summary>
    public static async Task<(DbConnection Connection, DbCommand Command)> CommandAsync(this DbDataSource dataSource, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // DbConnection.CreateCommand: on SQLite this is the gated command.
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.AddParameters(parameters);
        return (connection, command);
    }
}
