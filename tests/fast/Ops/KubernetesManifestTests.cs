using SessionMesh.Silo.Hosting;
using SessionMesh.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace SessionMesh.Tests.Ops;

/// <summary>
/// No cluster runs here, so deploy/kubernetes is checked by structure: the kinds and API versions a
/// cluster accepts, probes on the silo's health endpoints, graceful termination, a disruption
/// budget over the same pods, pod rights for Orleans' Kubernetes hosting, secrets by reference.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly Dictionary<string, string> ApiVersions = new()
    {
        ["ServiceAccount"] = "v1",
        ["Role"] = "rbac.authorization.k8s.io/v1",
        ["RoleBinding"] = "rbac.authorization.k8s.io/v1",
        ["Deployment"] = "apps/v1",
        ["PodDisruptionBudget"] = "policy/v1",
        ["Service"] = "v1",
    };

    [Fact]
    public void The_manifests_describe_a_silo_deployment_kubernetes_accepts()
    {
        var directory = Path.Combine(Repository.Root, "deploy", "kubernetes");
        var documents = Directory.GetFiles(directory, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").SelectMany(Load).ToList();
        var byKind = documents.ToDictionary(d => Scalar(d, "kind"), d => d);
        Assert.Superset(ApiVersions.Keys.ToHashSet(), byKind.Keys.ToHashSet());
        foreach (var document in documents)
        {
            Assert.Equal(ApiVersions[Scalar(document, "kind")], Scalar(document, "apiVersion"));
            Assert.False(string.IsNullOrEmpty(Scalar(document, "metadata", "name")));
        }

        var kustomization = Load(Path.Combine(directory, "kustomization.yaml")).Single();
        var listed = ((YamlSequenceNode)kustomization["resources"]).Select(n => ((YamlScalarNode)n).Value).ToHashSet();
        Assert.Equal(Directory.GetFiles(directory, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").ToHashSet(), listed);

        var deployment = byKind["Deployment"];
        var spec = Map(deployment, "spec");
        var selector = Labels(Map(spec, "selector", "matchLabels"));
        var template = Map(spec, "template");
        var podLabels = Labels(Map(template, "metadata", "labels"));
        Assert.Superset(selector.ToHashSet(), podLabels.ToHashSet());
        Assert.True(podLabels.ContainsKey("orleans/serviceId") && podLabels.ContainsKey("orleans/clusterId"), "Orleans' Kubernetes hosting reads its ids from pod labels");

        var pod = Map(template, "spec");
        Assert.True(int.Parse(Scalar(pod, "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture) >= 30);
        var container = (YamlMappingNode)((YamlSequenceNode)pod["containers"]).Single();
        var ports = ((YamlSequenceNode)container["ports"]).Cast<YamlMappingNode>().ToDictionary(p => Scalar(p, "name"), p => Scalar(p, "containerPort"));
        Assert.Equal(new Dictionary<string, string> { ["http"] = "8080", ["silo"] = "11111", ["gateway"] = "30000" }, ports);

        Assert.Equal("/health/ready", Scalar(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/health/live", Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.True(
            int.Parse(Scalar(container, "readinessProbe", "timeoutSeconds"), System.Globalization.CultureInfo.InvariantCulture) > new SessionMeshOptions().ReadinessTimeout.TotalSeconds,
            "the probe waits longer than readiness takes to give up on the database");
        Assert.True(container.Children.ContainsKey("startupProbe"), "a start waiting for its database is not killed by liveness");

        var env = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name"), e => e);
        foreach (var secret in new[] { "SESSION_MESH_POSTGRES", "SESSION_MESH_ADMIN_KEY" })
        {
            Assert.Equal("sessionmesh", Scalar(env[secret], "valueFrom", "secretKeyRef", "name"));
            Assert.False(env[secret].Children.ContainsKey("value"), $"{secret} comes from a Secret, never inline");
        }

        foreach (var (name, path) in new[] { ("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP") })
        {
            Assert.Equal(path, Scalar(env[name], "valueFrom", "fieldRef", "fieldPath"));
        }

        Assert.Equal("true", Scalar(env["SessionMesh__KubernetesHosting"], "value"));
        Assert.Equal("cluster", Scalar(env["SessionMesh__Mode"], "value"));

        var budget = byKind["PodDisruptionBudget"];
        Assert.Equal(selector, Labels(Map(budget, "spec", "selector", "matchLabels")));
        Assert.Equal("1", Scalar(budget, "spec", "maxUnavailable"));

        var service = byKind["Service"];
        Assert.Superset(Labels(Map(service, "spec", "selector")).ToHashSet(), podLabels.ToHashSet());

        var account = Scalar(pod, "serviceAccountName");
        Assert.Equal(account, Scalar(byKind["ServiceAccount"], "metadata", "name"));
        var binding = byKind["RoleBinding"];
        Assert.Equal(account, Scalar((YamlMappingNode)((YamlSequenceNode)binding["subjects"]).Single(), "name"));
        Assert.Equal(Scalar(byKind["Role"], "metadata", "name"), Scalar(binding, "roleRef", "name"));
        var rule = ((YamlSequenceNode)byKind["Role"]["rules"]).Cast<YamlMappingNode>().Single(r => ((YamlSequenceNode)r["resources"]).Any(n => ((YamlScalarNode)n).Value == "pods"));
        Assert.Superset(new HashSet<string?> { "list", "watch", "delete" }, ((YamlSequenceNode)rule["verbs"]).Select(n => ((YamlScalarNode)n).Value).ToHashSet());
    }

    private static IEnumerable<YamlMappingNode> Load(string path)
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Map(YamlMappingNode node, params string[] path) =>
        path.Aggregate(node, (n, key) => (YamlMappingNode)n[key]);

    private static string Scalar(YamlMappingNode node, params string[] path) =>
        ((YamlScalarNode)Map(node, path[..^1])[path[^1]]).Value!;

    private static Dictionary<string, string> Labels(YamlMappingNode node) =>
        node.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value!);
}
