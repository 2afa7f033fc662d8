using Microsoft.Extensions.Logging;
using Orleans.Streams;
using SessionMesh.Grains.Observability;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Topology;

/// <summary>
/// Publishes topology events from a grain. Events are a live view: the grain's state is already
/// durable when one is published, so a publish that fails is logged and never fails the operation.
/// </summary>
public static partial class TopologyPublisher
{
    public static async Task PublishAsync(this Grain grain, TopologyEventKind kind, string subject, string? detail, DateTimeOffset at, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(grain);
        MeshMetrics.Record(kind);
        try
        {
            var stream = grain.GetStreamProvider(TopologyStream.Provider)
                .GetStream<TopologyEvent>(StreamId.Create(TopologyStream.Namespace, TopologyStream.Key));
            await stream.OnNextAsync(new TopologyEvent(kind, subject, detail, at));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, ex, kind, subject);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Topology event {Kind} for {Subject} was not published.")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, TopologyEventKind kind, string subject);
}
