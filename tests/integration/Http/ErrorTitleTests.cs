using System.Net;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Http;

/// <summary>
/// Storage faults answer 503 "Storage unavailable" — from a grain method and from a grain activation
/// alike — with faults made by real SQL on a real silo's database, and the silo serves again after.
/// (A silo that does not answer is the cluster tests' part: it needs real silo processes.)
/// </summary>
[Trait("Category", "Http")]
public sealed class ErrorTitleTests
{
    [Fact]
    public async Task A_write_the_database_refuses_answers_503_storage_unavailable_and_changes_nothing()
    {
        await using var silo = await HttpSilo.StartAsync();
        await MeshCluster.ExecuteSqlAsync(silo.DataDirectory, """
            CREATE TRIGGER test_refuse_new_state BEFORE INSERT ON SessionCatalog
            BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END;
            """);

        using (var refused = await silo.Admin.PostAsync("/api/session-mesh/sessions", HttpSilo.Json("""{"agent_name": "CodeGenAgent"}""")))
        {
            var problem = await HttpSilo.AssertProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("Storage unavailable", problem.GetProperty("title").GetString());
            Assert.True(refused.Headers.RetryAfter is not null);
        }

        await MeshCluster.ExecuteSqlAsync(silo.DataDirectory, "DROP TRIGGER test_refuse_new_state;");
        using var stats = await silo.Admin.GetAsync("/api/session-mesh/stats");
        Assert.Equal(0, (await HttpSilo.ReadAsync(stats)).GetProperty("sessions").GetProperty("total").GetInt64());
        using var spawned = await silo.Admin.PostAsync("/api/session-mesh/sessions", HttpSilo.Json("""{"agent_name": "CodeGenAgent"}"""));
        Assert.Equal(HttpStatusCode.Created, spawned.StatusCode);
    }

    [Fact]
    public async Task An_activation_that_cannot_read_its_state_answers_503_storage_unavailable_not_500()
    {
        await using var silo = await HttpSilo.StartAsync();

        // The grain-state tables are gone: a new activation's ReadStateAsync fails inside the storage provider.
        await MeshCluster.ExecuteSqlAsync(silo.DataDirectory, "ALTER TABLE OrleansStorage RENAME TO OrleansStorageAway; ALTER TABLE SessionCatalog RENAME TO SessionCatalogAway;");
        using (var failed = await silo.Admin.GetAsync($"/api/session-mesh/sessions/{Guid.NewGuid()}"))
        {
            var problem = await HttpSilo.AssertProblemAsync(failed, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("Storage unavailable", problem.GetProperty("title").GetString());
        }

        using (var failedAgent = await silo.Admin.GetAsync("/api/session-mesh/agents/never-read"))
        {
            var problem = await HttpSilo.AssertProblemAsync(failedAgent, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("Storage unavailable", problem.GetProperty("title").GetString());
        }

        // Once the table is back, the same kind of call answers as usual.
        await MeshCluster.ExecuteSqlAsync(silo.DataDirectory, "ALTER TABLE OrleansStorageAway RENAME TO OrleansStorage; ALTER TABLE SessionCatalogAway RENAME TO SessionCatalog;");
        using var missing = await silo.Admin.GetAsync($"/api/session-mesh/sessions/{Guid.NewGuid()}");
        await HttpSilo.AssertProblemAsync(missing, HttpStatusCode.NotFound);
    }
}
