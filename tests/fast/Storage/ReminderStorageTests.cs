using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Storage;

/// <summary>Reminders go through the project's own SQLite reminder queries.</summary>
public sealed class ReminderStorageTests
{
    [Fact]
    public async Task Reminders_are_stored_listed_updated_and_removed_in_sqlite()
    {
        var directory = MeshCluster.NewDataDirectory();
        await using (var mesh = await MeshCluster.StartAsync(directory))
        {
            var grain = mesh.Client.GetGrain<IReminderProbeGrain>(Guid.NewGuid());
            await grain.RegisterAsync("nudge", TimeSpan.FromMinutes(2));
            await grain.RegisterAsync("nudge", TimeSpan.FromMinutes(3));
            await grain.RegisterAsync("sweep", TimeSpan.FromMinutes(5));
            Assert.Equal(["nudge", "sweep"], await grain.ListAsync());

            await grain.UnregisterAsync("sweep");
            Assert.Equal(["nudge"], await grain.ListAsync());
        }

        await using var restarted = await MeshCluster.StartAsync(directory);
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={restarted.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ReminderName, Period, Version FROM OrleansRemindersTable;";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("nudge", reader.GetString(0));
        Assert.Equal(180_000, reader.GetInt64(1));
        Assert.Equal(1, reader.GetInt64(2));
        Assert.False(await reader.ReadAsync());
    }
}

public interface IReminderProbeGrain : IGrainWithGuidKey
{
    Task RegisterAsync(string name, TimeSpan period);

    Task UnregisterAsync(string name);

    Task<List<string>> ListAsync();
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public Task RegisterAsync(string name, TimeSpan period) =>
        this.RegisterOrUpdateReminder(name, TimeSpan.FromHours(1), period);

    public async Task UnregisterAsync(string name)
    {
        var reminder = await this.GetReminder(name) ?? throw new InvalidOperationException($"no reminder {name}");
        await this.UnregisterReminder(reminder);
    }

    public async Task<List<string>> ListAsync() =>
        [.. (await this.GetReminders()).Select(r => r.ReminderName).Order(StringComparer.Ordinal)];

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
