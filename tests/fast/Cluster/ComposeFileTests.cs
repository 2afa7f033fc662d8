using SessionMesh.Tests.Infrastructure;
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
        var root = Repository.Root;
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
        foreach (var (_, node) in silos)
        {
            var silo = (YamlMappingNode)node;
            Assert.Equal(".", ((YamlScalarNode)silo["build"]).Value);
            var condition = (YamlScalarNode)((YamlMappingNode)((YamlMappingNode)silo["depends_on"])["postgres"])["condition"];
            Assert.Equal("service_healthy", condition.Value);
            var environment = (YamlMappingNode)silo["environment"];
            var keys = environment.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToHashSet();
            Assert.Superset(new HashSet<string?> { "SESSION_MESH_POSTGRES", "ASPNETCORE_HTTP_PORTS", "SessionMesh__SiloPort", "SessionMesh__GatewayPort", "SessionMesh__AdvertisedAddress" }, keys);
            Assert.Contains("Host=postgres", ((YamlScalarNode)environment["SESSION_MESH_POSTGRES"]).Value, StringComparison.Ordinal);
        }

        Assert.Equal(3, silos.Count);

        // The settings the compose file and the cluster script pass are ones the silo reads.
        var options = typeof(SessionMesh.Silo.Hosting.SessionMeshOptions).GetProperties().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "HttpUrl", "SiloPort", "GatewayPort", "AdvertisedAddress", "PostgresConnectionString", "Mode" }, options);
        var script = File.ReadAllText(Path.Combine(root, "scripts", "cluster.sh"));
        Assert.Contains("SESSION_MESH_POSTGRES", script, StringComparison.Ordinal);
        Assert.Contains("SessionMesh:AdvertisedAddress", script, StringComparison.Ordinal);

        var dockerfile = File.ReadAllText(Path.Combine(root, "Dockerfile"));
        Assert.Contains("silo/SessionMesh.Silo.csproj", dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void The_compose_cluster_comes_up_right_without_an_engine()
    {
        var root = Repository.Root;
        var text = File.ReadAllText(Path.Combine(root, "docker-compose.yml"));
        var yaml = new YamlStream();
        using (var reader = new StringReader(text))
        {
            yaml.Load(new YamlDotNet.Core.MergingParser(new YamlDotNet.Core.Parser(reader)));
        }

        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        var postgres = (YamlMappingNode)services["postgres"];

        // pg_isready over TCP (-h), so the image's socket-only init phase never passes for ready.
        var pgCheck = string.Join(' ', ((YamlSequenceNode)((YamlMappingNode)postgres["healthcheck"])["test"]).Select(n => ((YamlScalarNode)n).Value));
        Assert.Contains("pg_isready -h ", pgCheck, StringComparison.Ordinal);

        // Pools sized against max_connections: every silo's full pool fits, with room to spare.
        var command = string.Join(' ', ((YamlSequenceNode)postgres["command"]).Select(n => ((YamlScalarNode)n).Value));
        var maxConnections = int.Parse(System.Text.RegularExpressions.Regex.Match(command, @"max_connections=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var silos = services.Children.Where(s => ((YamlScalarNode)s.Key).Value!.StartsWith("silo", StringComparison.Ordinal)).Select(s => (YamlMappingNode)s.Value).ToList();
        var pools = 0;
        var published = new HashSet<string>();
        foreach (var silo in silos)
        {
            var environment = (YamlMappingNode)silo["environment"];
            var connection = new Npgsql.NpgsqlConnectionStringBuilder(((YamlScalarNode)environment["SESSION_MESH_POSTGRES"]).Value!.Replace("${POSTGRES_PASSWORD:-sessionmesh}", "x", StringComparison.Ordinal));
            Assert.True(connection.MaxPoolSize < 100, "each silo's pool is sized explicitly");
            pools += connection.MaxPoolSize;

            // No fixed IPs: each silo resolves its own address; no default admin key.
            Assert.Equal("auto", ((YamlScalarNode)environment["SessionMesh__AdvertisedAddress"]).Value);
            Assert.StartsWith("${SESSION_MESH_ADMIN_KEY:?", ((YamlScalarNode)environment["SESSION_MESH_ADMIN_KEY"]).Value, StringComparison.Ordinal);
            Assert.Equal("cluster", ((YamlScalarNode)environment["SessionMesh__Mode"]).Value);

            // A health check on /health/ready through the silo binary (the aspnet image has no curl).
            var check = string.Join(' ', ((YamlSequenceNode)((YamlMappingNode)silo["healthcheck"])["test"]).Select(n => ((YamlScalarNode)n).Value));
            Assert.Equal("CMD dotnet SessionMesh.Silo.dll health", check);
            Assert.True(silo.Children.ContainsKey("stop_grace_period"));
            Assert.True(((YamlMappingNode)silo["logging"]).Children.ContainsKey("options"));

            // HTTP and the Orleans gateway published, on 127.0.0.1 unless SESSION_MESH_BIND says otherwise.
            var ports = ((YamlSequenceNode)silo["ports"]).Select(n => ((YamlScalarNode)n).Value!).ToList();
            Assert.All(ports, p => Assert.StartsWith("${SESSION_MESH_BIND:-127.0.0.1}:", p, StringComparison.Ordinal));
            Assert.Contains(ports, p => p.EndsWith(":8080", StringComparison.Ordinal));
            Assert.Contains(ports, p => p.EndsWith(":30000", StringComparison.Ordinal));
            foreach (var p in ports)
            {
                Assert.True(published.Add(p.Split(':')[^2]), $"host port published twice: {p}");
            }

            Assert.False(silo.Children.ContainsKey("networks") && silo["networks"] is YamlMappingNode, "no fixed addresses per silo");
        }

        Assert.True(pools + 20 <= maxConnections, $"pools {pools} against max_connections {maxConnections}");
        Assert.DoesNotContain("ipv4_address", text, StringComparison.Ordinal);
        Assert.DoesNotContain("subnet", text, StringComparison.Ordinal);

        // The image: restored before the source is copied, SDK pinned, not root, no Roslyn shipped.
        var dockerfile = File.ReadAllLines(Path.Combine(root, "Dockerfile"));
        var restore = Array.FindIndex(dockerfile, l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        var firstSource = Array.FindIndex(dockerfile, l => l.StartsWith("COPY silo/ ", StringComparison.Ordinal) || l.StartsWith("COPY . ", StringComparison.Ordinal));
        Assert.InRange(restore, 0, firstSource - 1);
        Assert.Contains(dockerfile, l => l.StartsWith("ARG DOTNET_SDK=10.0.", StringComparison.Ordinal));
        Assert.Contains(dockerfile, l => l.Trim() == "USER app");
        Assert.DoesNotContain(dockerfile, l => l.Contains("sdk:10.0 ", StringComparison.Ordinal) || l.EndsWith("sdk:10.0", StringComparison.Ordinal));
        var project = File.ReadAllText(Path.Combine(root, "silo", "SessionMesh.Silo.csproj"));
        Assert.Contains("<PackageReference Include=\"Microsoft.CodeAnalysis.Common\" ExcludeAssets=\"runtime\"", project, StringComparison.Ordinal);
    }

    /// <summary>
    /// The image builds the silo from the projects copied into it: every project the silo references,
    /// directly or not, has its project file copied before the restore and its folder before the
    /// publish (the image once lacked client/, which the silo references, and could not restore).
    /// </summary>
    [Fact]
    public void The_image_copies_every_project_the_silo_builds_from()
    {
        var root = Repository.Root;
        var dockerfile = File.ReadAllLines(Path.Combine(root, "Dockerfile"));
        var restore = Array.FindIndex(dockerfile, l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        var publish = Array.FindIndex(dockerfile, l => l.StartsWith("RUN dotnet publish", StringComparison.Ordinal));
        foreach (var project in ProjectClosure(Path.Combine(root, "silo", "SessionMesh.Silo.csproj")))
        {
            var folder = Path.GetRelativePath(root, Path.GetDirectoryName(project)!).Replace('\\', '/');
            var file = $"{folder}/{Path.GetFileName(project)}";
            Assert.InRange(Array.FindIndex(dockerfile, l => l == $"COPY {file} {folder}/"), 0, restore - 1);
            Assert.InRange(Array.FindIndex(dockerfile, l => l == $"COPY {folder}/ {folder}/"), restore + 1, publish - 1);
        }
    }

    private static HashSet<string> ProjectClosure(string project)
    {
        HashSet<string> seen = new(StringComparer.Ordinal);
        Stack<string> pending = new([Path.GetFullPath(project)]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }

            foreach (var reference in System.Xml.Linq.XDocument.Load(next).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar);
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, include)));
            }
        }

        Assert.Contains(seen, p => p.EndsWith("SessionMesh.Storage.csproj", StringComparison.Ordinal));
        return seen;
    }
}
