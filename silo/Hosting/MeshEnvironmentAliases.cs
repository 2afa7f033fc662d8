using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace SessionMesh.Silo.Hosting;

/// <summary>
/// The short environment variables SessionMesh has always read, mapped in this one place onto the
/// settings they stand for. They rank just below the settings' own environment names
/// (<c>SessionMesh__AdminKey</c>) and the command line, so the most specific setting wins.
/// </summary>
public static class MeshEnvironmentAliases
{
    /// <summary>Environment variable → configuration key.</summary>
    public static IReadOnlyDictionary<string, string> Map { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["SESSION_MESH_POSTGRES"] = $"{SessionMeshOptions.Section}:{nameof(SessionMeshOptions.PostgresConnectionString)}",
        ["SESSION_MESH_ADMIN_KEY"] = $"{SessionMeshOptions.Section}:{nameof(SessionMeshOptions.AdminKey)}",
    };

    /// <summary>Adds the aliases to the configuration, just before the unprefixed environment variables.</summary>
    public static void AddMeshEnvironmentAliases(this IConfigurationBuilder configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var sources = configuration.Sources;
        var environment = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            {
                environment = i;
                break;
            }
        }

        sources.Insert(environment < 0 ? sources.Count : environment, new AliasSource());
    }

    private sealed class AliasSource : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new AliasProvider();
    }

    /// <summary>Reads the aliased variables; an empty one is kept (empty is not the same as unset).</summary>
    internal sealed class AliasProvider : ConfigurationProvider
    {
        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (variable, key) in Map)
            {
                if (Environment.GetEnvironmentVariable(variable) is { } value)
                {
                    data[key] = value;
                }
            }

            Data = data;
        }

        /// <summary>The variable a key came from, for error messages.</summary>
        public static string? VariableFor(string key) =>
            Map.FirstOrDefault(a => string.Equals(a.Value, key, StringComparison.OrdinalIgnoreCase)).Key;

        public override string ToString() => "SessionMesh environment aliases";
    }
}
