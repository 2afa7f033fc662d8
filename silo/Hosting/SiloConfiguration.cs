using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace SessionMesh.Silo.Hosting;

/// <summary>Where the silo's settings come from, and the checks made before anything starts.</summary>
public static class SiloConfiguration
{
    /// <summary>
    /// The silo's own appsettings.json (next to the binary, so log levels apply wherever it is run
    /// from; one in the working directory still overrides it) and the environment aliases.
    /// </summary>
    public static void AddSiloDefaults(this ConfigurationManager configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var sources = configuration.Sources;
        var firstJson = sources.Select((s, i) => (s, i)).FirstOrDefault(x => x.s is JsonConfigurationSource).i;
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))
        {
            sources.Insert(firstJson, new JsonConfigurationSource
            {
                FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
                Path = "appsettings.json",
                Optional = true,
            });
        }

        configuration.AddMeshEnvironmentAliases();
    }

    /// <summary>Binds and checks the "SessionMesh" settings now: every problem at once, each naming its setting and source.</summary>
    public static SessionMeshOptions ReadSessionMeshOptions(this IConfiguration configuration)
    {
        var options = configuration.GetSection(SessionMeshOptions.Section).Get<SessionMeshOptions>() ?? new SessionMeshOptions();
        var result = new SessionMeshOptionsValidator(configuration).Validate(Options.DefaultName, options);
        return result.Failed
            ? throw new OptionsValidationException(Options.DefaultName, typeof(SessionMeshOptions), result.Failures)
            : options;
    }

    /// <summary>Whether one of ASP.NET Core's own listen settings is given.</summary>
    public static bool HasStandardUrls(this IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration["urls"])
            || !string.IsNullOrWhiteSpace(configuration["http_ports"])
            || !string.IsNullOrWhiteSpace(configuration["https_ports"])
            || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
    }

    /// <summary>The first address the server really listens on (with a wildcard host shown as 127.0.0.1), for the start-up summary.</summary>
    public static string ListeningUrl(this WebApplication app, string fallback)
    {
        ArgumentNullException.ThrowIfNull(app);
        var address = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null)
        {
            return fallback;
        }

        return address.Replace("://+:", "://127.0.0.1:", StringComparison.Ordinal)
            .Replace("://*:", "://127.0.0.1:", StringComparison.Ordinal)
            .Replace("://[::]:", "://127.0.0.1:", StringComparison.Ordinal)
            .Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal)
            .TrimEnd('/');
    }
}
