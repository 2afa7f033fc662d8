using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using SessionMesh.Client.Tls;

namespace SessionMesh.Client;

/// <summary>Connects an app to SessionMesh and registers the session facade.</summary>
public static class SessionMeshClientExtensions
{
    /// <summary>Registers <see cref="SessionManager"/> and <see cref="AgentMesh"/> in an app that already has an Orleans client.</summary>
    public static IServiceCollection AddSessionManager(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new SessionManager(sp.GetRequiredService<IGrainFactory>()));
        services.TryAddSingleton(sp => new AgentMesh(sp.GetRequiredService<IGrainFactory>()));
        return services;
    }

    /// <summary>
    /// An Orleans client for a SessionMesh silo: its cluster and service ids, its gateway, and mutual
    /// TLS with the client certificate from {DataDirectory}/tls (or SessionMesh:Tls:Directory);
    /// plus <see cref="SessionManager"/> and <see cref="AgentMesh"/>. Settings come from the
    /// configuration section "SessionMesh" first, then from <paramref name="configure"/>.
    /// </summary>
    /// <exception cref="MeshTlsException">The client certificate, its key or the CA certificate is missing or unreadable.</exception>
    /// <remarks>
    /// Starting the host throws <see cref="SessionMeshConnectionException"/> when no gateway accepts
    /// the client within <see cref="SessionMeshClientOptions.ConnectTimeout"/> (silo not running,
    /// another cluster id, a certificate from another CA), naming what to check.
    /// </remarks>
    public static IHostApplicationBuilder UseSessionMeshClient(this IHostApplicationBuilder builder, Action<SessionMeshClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new SessionMeshClientOptions();
        var section = builder.Configuration.GetSection("SessionMesh");
        section.Bind(options);
        options.TlsDirectory ??= section["Tls:Directory"];
        configure?.Invoke(options);

        var credentials = MeshTlsCredentials.Load(options.ResolvedTlsDirectory, MeshPeerRole.Client);
        var gateways = Gateways(options);
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(gateways);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            client.Configure<ClientConnectionOptions>(o => o.ConfigureConnection(c => c.UseMeshTls(credentials, MeshTlsSide.Client, MeshPeerRole.Silo)));
            client.UseConnectionRetryFilter(new ConnectDeadline(options, gateways, TimeProvider.System));
        });
        builder.Services.AddSingleton(credentials);
        builder.Services.AddSessionManager();
        return builder;
    }

    private static IPEndPoint[] Gateways(SessionMeshClientOptions options)
    {
        var named = options.Gateways.Count > 0
            ? options.Gateways.Select(g =>
            {
                var colon = g.LastIndexOf(':');
                return colon > 0 && int.TryParse(g.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                    ? (Host: g[..colon].Trim('[', ']'), Port: port)
                    : throw new ArgumentException($"SessionMesh:Gateways entry '{g}' is not host:port.", nameof(options));
            })
            : [(Host: options.GatewayHost, Port: options.GatewayPort)];
        return [.. named.Select(g => new IPEndPoint(
            IPAddress.TryParse(g.Host, out var address) ? address : Dns.GetHostAddresses(g.Host).First(),
            g.Port))];
    }

    /// <summary>Retries connecting until the deadline, then gives up with a message that says what to check.</summary>
    private sealed class ConnectDeadline(SessionMeshClientOptions options, IPEndPoint[] gateways, TimeProvider time) : IClientConnectionRetryFilter
    {
        private long _firstFailure;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (Interlocked.CompareExchange(ref _firstFailure, time.GetTimestamp(), 0) == 0 && options.ConnectTimeout > TimeSpan.Zero)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
                return true;
            }

            // A certificate the silo's CA did not issue will not become valid by waiting.
            var refused = Find<MeshTlsException>(exception) is not null;
            if (!refused && time.GetElapsedTime(Interlocked.Read(ref _firstFailure)) < options.ConnectTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
                return true;
            }

            throw new SessionMeshConnectionException(
                $"Could not connect to the SessionMesh gateway at {string.Join(", ", gateways.Select(g => g.ToString()))} " +
                $"(cluster id '{options.ClusterId}', service id '{options.ServiceId}') within {options.ConnectTimeout.TotalSeconds:0.#} s: " +
                $"{(Find<MeshTlsException>(exception) ?? exception).Message} Check that the silo runs and that this is its gateway port " +
                $"(SessionMesh:GatewayPort), that SessionMesh:ClusterId and SessionMesh:ServiceId match the silo's, and that " +
                $"{options.ResolvedTlsDirectory} holds a client certificate issued by the silo's CA (the embedded silo writes it into its {{DataDirectory}}/tls).",
                exception);
        }

        private static T? Find<T>(Exception? e)
            where T : Exception
        {
            for (; e is not null; e = e.InnerException)
            {
                if (e is T found)
                {
                    return found;
                }

                if (e is AggregateException aggregate)
                {
                    return aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(f => f is not null);
                }
            }

            return null;
        }
    }
}

/// <summary>The client could not reach a SessionMesh gateway; the message says what to check.</summary>
public sealed class SessionMeshConnectionException : Exception
{
    public SessionMeshConnectionException()
    {
    }

    public SessionMeshConnectionException(string message)
        : base(message)
    {
    }

    public SessionMeshConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
