using YamlDotNet.RepresentationModel;

namespace SessionMesh.Tests.Cluster;

/// <summary>
/// Docker cannot run here, so the compose file is checked by construction: PostgreSQL with a health
/// check, three silos built from the repository's Dockerfile that wait for it, with the same
/// settings the silo reads and scripts/cluster.sh passes.
/// </summary>
public sealed class ComposeFileTests
{
    [Fact]
    public void The_compose_file_describes_postgres_and_three_silos_with_the_silo_settings()
    {
        var root = PostgresServer.RepositoryRoot();
        var yaml = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(root, "docker-compose.yml")))
        {
            // Resolve the "<<: *silo" merge keys the way Docker Compose does.
            yaml.Load(new YamlDotNet.Core.MergingParser(new YamlDotNet.Core.Parser(reader)));
        }

        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        var postgres = (YamlMappingNode)services["postgres"];
        Assert.True(postgres.Children.ContainsKey("healthcheck"));

        var silos = services.Children.Where(s => ((YamlScalarNode)s.Key).Value!.StartsWith("silo", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, silos.Count);
        var addresses = new HashSet<string>();
        foreach (var (_, node) in silos)
        {
            var silo = (YamlMappingNode)node;
            Assert.Equal(".", ((YamlScalarNode)silo["build"]).Value);
            var condition = (YamlScalarNode)((YamlMappingNode)((YamlMappingNode)silo["depends_on"])["postgres"])["condition"];
            Assert.Equal("service_healthy", condition.Value);
            var environment = (YamlMappingNode)silo["environment"];
            var keys = environment.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToHashSet();
            Assert.Superset(new HashSet<string?> { "SESSION_MESH_POSTGRES", "SessionMesh__HttpUrl", "SessionMesh__SiloPort", "SessionMesh__GatewayPort", "SessionMesh__AdvertisedAddress" }, keys);
            Assert.Contains("Host=postgres", ((YamlScalarNode)environment["SESSION_MESH_POSTGRES"]).Value, StringComparison.Ordinal);
            addresses.Add(((YamlScalarNode)environment["SessionMesh__AdvertisedAddress"]).Value!);
        }

        Assert.Equal(3, addresses.Count);

        // The settings the compose file and the cluster script pass are ones the silo reads.
        var options = typeof(SessionMesh.Silo.Hosting.SessionMeshOptions).GetProperties().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "HttpUrl", "SiloPort", "GatewayPort", "AdvertisedAddress", "PostgresConnectionString" }, options);
        var script = File.ReadAllText(Path.Combine(root, "scripts", "cluster.sh"));
        Assert.Contains("SESSION_MESH_POSTGRES", script, StringComparison.Ordinal);
        Assert.Contains("SessionMesh:AdvertisedAddress", script, StringComparison.Ordinal);

        var dockerfile = File.ReadAllText(Path.Combine(root, "Dockerfile"));
        Assert.Contains("silo/SessionMesh.Silo.csproj", dockerfile, StringComparison.Ordinal);
    }
}
