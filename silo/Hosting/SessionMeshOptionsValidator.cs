using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SessionMesh.Silo.Hosting;

/// <summary>
/// Checks the "SessionMesh" settings before anything starts. Every failure names the setting, its
/// value (never a secret) and where the value came from, so the fix is obvious.
/// </summary>
public sealed class SessionMeshOptionsValidator(IConfiguration configuration) : IValidateOptions<SessionMeshOptions>
{
    public const string Embedded = "embedded";
    public const string Cluster = "cluster";

    public ValidateOptionsResult Validate(string? name, SessionMeshOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string property, string problem) => failures.Add($"{Key(property)} {problem} (from {Source(configuration, Key(property))})");

        if (options.Mode is { } mode && mode is not (Embedded or Cluster))
        {
            Fail(nameof(SessionMeshOptions.Mode), $"'{mode}' is neither '{Embedded}' nor '{Cluster}'");
        }

        var connectionGiven = configuration[Key(nameof(SessionMeshOptions.PostgresConnectionString))] is not null;
        if (IsCluster(options, configuration))
        {
            if (string.IsNullOrWhiteSpace(options.PostgresConnectionString))
            {
                failures.Add(connectionGiven
                    ? $"{Key(nameof(SessionMeshOptions.PostgresConnectionString))} is empty (from {Source(configuration, Key(nameof(SessionMeshOptions.PostgresConnectionString)))}); cluster mode needs a PostgreSQL connection string and never falls back to SQLite"
                    : $"{Key(nameof(SessionMeshOptions.Mode))} is '{Cluster}' (from {Source(configuration, Key(nameof(SessionMeshOptions.Mode)))}) but no PostgreSQL connection string is set (SessionMesh:PostgresConnectionString or SESSION_MESH_POSTGRES)");
            }
            else
            {
                try
                {
                    _ = new NpgsqlConnectionStringBuilder(options.PostgresConnectionString);
                }
                catch (ArgumentException ex)
                {
                    Fail(nameof(SessionMeshOptions.PostgresConnectionString), $"is not a valid connection string: {ex.Message}");
                }
            }

            if (ResolveAddress(options.AdvertisedAddress) is null)
            {
                Fail(nameof(SessionMeshOptions.AdvertisedAddress), $"'{options.AdvertisedAddress}' is not an IP address or resolvable host name");
            }
        }
        else if (options.Mode == Embedded && !string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            Fail(nameof(SessionMeshOptions.Mode), $"is '{Embedded}' but a PostgreSQL connection string is set (from {Source(configuration, Key(nameof(SessionMeshOptions.PostgresConnectionString)))})");
        }

        if (!Uri.TryCreate(options.HttpUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            Fail(nameof(SessionMeshOptions.HttpUrl), $"'{options.HttpUrl}' is not an absolute http:// or https:// URL");
        }

        foreach (var (property, port) in new[] { (nameof(SessionMeshOptions.SiloPort), options.SiloPort), (nameof(SessionMeshOptions.GatewayPort), options.GatewayPort) })
        {
            if (port is < 1 or > 65535)
            {
                Fail(property, $"'{port}' is not a port (1-65535)");
            }
        }

        foreach (var (property, value) in new[] { (nameof(SessionMeshOptions.ClusterId), options.ClusterId), (nameof(SessionMeshOptions.ServiceId), options.ServiceId), (nameof(SessionMeshOptions.DataDirectory), options.DataDirectory) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                Fail(property, "is empty");
            }
        }

        if (options.AdminKey is { Length: > 0 } key && key.Trim().Length < 16)
        {
            Fail(nameof(SessionMeshOptions.AdminKey), "is shorter than 16 characters");
        }

        if (options.ReadinessTimeout <= TimeSpan.Zero)
        {
            Fail(nameof(SessionMeshOptions.ReadinessTimeout), $"'{options.ReadinessTimeout}' is not a positive duration");
        }

        if (options.Telemetry.StatsRefresh <= TimeSpan.Zero)
        {
            Fail($"{nameof(SessionMeshOptions.Telemetry)}:{nameof(MeshTelemetryOptions.StatsRefresh)}", $"'{options.Telemetry.StatsRefresh}' is not a positive duration");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Whether the settings ask for a cluster on PostgreSQL: explicitly, or by giving a connection string (even an empty one).</summary>
    public static bool IsCluster(SessionMeshOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        return options.Mode switch
        {
            Cluster => true,
            Embedded => false,
            _ => configuration[Key(nameof(SessionMeshOptions.PostgresConnectionString))] is not null,
        };
    }

    /// <summary>
    /// The address to advertise: an IP address as written, else a host name resolved now (IPv4
    /// first), or this machine's own name for <c>auto</c>. Null when it does not resolve.
    /// </summary>
    public static IPAddress? ResolveAddress(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return null;
        }

        if (IPAddress.TryParse(address, out var ip))
        {
            return ip;
        }

        try
        {
            var host = string.Equals(address, "auto", StringComparison.OrdinalIgnoreCase) ? Dns.GetHostName() : address;
            var addresses = Dns.GetHostAddresses(host);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
                ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault();
        }
        catch (SocketException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Where a configuration key's value came from, in the words a person would use to change it.</summary>
    public static string Source(IConfiguration configuration, string key)
    {
        if (configuration is IConfigurationRoot root)
        {
            foreach (var provider in root.Providers.Reverse())
            {
                if (!provider.TryGet(key, out _))
                {
                    continue;
                }

                return provider switch
                {
                    MeshEnvironmentAliases.AliasProvider => $"environment {MeshEnvironmentAliases.AliasProvider.VariableFor(key)}",
                    EnvironmentVariablesConfigurationProvider => $"environment {key.Replace(":", "__", StringComparison.Ordinal)}",
                    CommandLineConfigurationProvider => $"command line --{key}",
                    FileConfigurationProvider file => $"file {file.Source.Path}",
                    _ => provider.ToString() ?? provider.GetType().Name,
                };
            }
        }

        return "the default";
    }

    private static string Key(string property) => $"{SessionMeshOptions.Section}:{property}";
}
