using System.Net;
using System.Text.Json;
using SessionMesh.Tests.Cli;

namespace SessionMesh.Tests.Http;

/// <summary>
/// The key tree: a key mints only keys that expire no later and do no more than itself, revoking a
/// key revokes everything minted from it, and the listing shows the tree.
/// </summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class KeyTreeTests(HttpSiloFixture fixture)
{
    private const string Keys = "/api/session-mesh/keys";

    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task A_short_lived_key_cannot_mint_a_longer_lived_one()
    {
        var parent = Silo.Client(await Silo.CreateKeyAsync("""{"ttl": 30, "scopes": ["admin"]}"""));
        var before = await ListAsync();
        using var response = await parent.PostAsync(Keys, HttpSilo.Json("""{"ttl": 31536000, "scopes": ["admin"]}"""));
        var problem = await HttpSilo.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("ttl", out _), problem.ToString());
        Assert.Equal(before.GetRawText(), (await ListAsync()).GetRawText());
    }

    [Fact]
    public async Task A_key_cannot_mint_more_scope_or_another_binding_than_its_own()
    {
        var agentId = $"tree-{Guid.NewGuid():N}";
        var bound = Silo.Client(await Silo.CreateKeyAsync($$"""{"ttl": 600, "scopes": ["admin", "agent"], "agent_id": "{{agentId}}"}"""));
        using (var other = await bound.PostAsync(Keys, HttpSilo.Json("""{"ttl": 60, "scopes": ["agent"], "agent_id": "someone-else"}""")))
        {
            var problem = await HttpSilo.AssertProblemAsync(other, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("agent_id", out _), problem.ToString());
        }

        using (var same = await bound.PostAsync(Keys, HttpSilo.Json($$"""{"ttl": 60, "scopes": ["agent"], "agent_id": "{{agentId}}"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        }

        using var twice = await Silo.Admin.PostAsync(Keys, HttpSilo.Json("""{"ttl": 60, "scopes": ["agent", "agent"]}"""));
        var duplicate = await HttpSilo.AssertProblemAsync(twice, HttpStatusCode.BadRequest);
        Assert.True(duplicate.GetProperty("errors").TryGetProperty("agent_id", out _) || duplicate.GetProperty("errors").TryGetProperty("scopes", out _), duplicate.ToString());
    }

    [Fact]
    public async Task Revoking_a_key_revokes_every_key_minted_from_it_and_the_listing_shows_the_tree()
    {
        var (rootToken, rootId) = await MintAsync(Silo.Admin, """{"ttl": 600, "scopes": ["admin"]}""");
        var root = Silo.Client(rootToken);
        var (childToken, childId) = await MintAsync(root, """{"ttl": 300, "scopes": ["admin"]}""");
        var child = Silo.Client(childToken);
        var (grandchildToken, grandchildId) = await MintAsync(child, """{"ttl": 100, "scopes": ["operator"]}""");
        var grandchild = Silo.Client(grandchildToken);

        var listed = (await ListAsync()).EnumerateArray().ToDictionary(k => k.GetProperty("key_id").GetString()!);
        Assert.Equal(JsonValueKind.Null, listed[rootId].GetProperty("parent_key_id").ValueKind);
        Assert.Equal(0, listed[rootId].GetProperty("depth").GetInt32());
        Assert.Equal(rootId, listed[childId].GetProperty("parent_key_id").GetString());
        Assert.Equal(childId, listed[grandchildId].GetProperty("parent_key_id").GetString());
        Assert.Equal(2, listed[grandchildId].GetProperty("depth").GetInt32());

        var tree = await CliRunner.RunAsync(Silo.BaseUrl, HttpSilo.AdminKey, "keys", "list");
        Assert.True(tree.ExitCode == 0, tree.Stderr);
        Assert.Contains("    " + grandchildId, tree.Stdout, StringComparison.Ordinal); // two levels down
        Assert.Contains("parent", tree.Stdout, StringComparison.Ordinal);

        using (var ok = await grandchild.GetAsync("/api/session-mesh/stats"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var revoke = await Silo.Admin.DeleteAsync($"{Keys}/{rootId}"))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        // The root is refused at once; its subtree within the documented 5 s bound (polled, never slept on).
        await WaitUntilRefusedAsync(root);
        await WaitUntilRefusedAsync(child);
        await WaitUntilRefusedAsync(grandchild);
        var after = (await ListAsync()).EnumerateArray().ToDictionary(k => k.GetProperty("key_id").GetString()!);
        Assert.All(new[] { rootId, childId, grandchildId }, id => Assert.True(after[id].GetProperty("revoked").GetBoolean(), id));
    }

    private static async Task WaitUntilRefusedAsync(HttpClient client)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var response = await client.GetAsync("/api/session-mesh/stats");
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"still {(int)response.StatusCode} after revocation");
            await Task.Delay(200);
        }
    }

    private static async Task<(string Token, string KeyId)> MintAsync(HttpClient minter, string body)
    {
        using var response = await minter.PostAsync(Keys, HttpSilo.Json(body));
        var created = await HttpSilo.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, created.ToString());
        return (created.GetProperty("session_key").GetString()!, created.GetProperty("key_id").GetString()!);
    }

    private async Task<JsonElement> ListAsync()
    {
        using var response = await Silo.Admin.GetAsync(Keys);
        return await HttpSilo.ReadAsync(response);
    }
}
