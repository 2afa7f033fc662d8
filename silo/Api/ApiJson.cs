using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using SessionMesh.Sessions;

namespace SessionMesh.Silo.Api;

/// <summary>
/// The API's JSON: snake_case names, enums as their names, durations as seconds, agent results told
/// apart by a "type" discriminator. The grain contracts carry none of this: JSON is the edge's concern.
/// </summary>
public static class ApiJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
        options.Converters.Add(new TimeSpanSecondsConverter());
        options.AllowOutOfOrderMetadataProperties = true;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.RespectNullableAnnotations = true;
        options.MaxDepth = 32;
        // The hot request and response types are source-generated (no reflection, no metadata built
        // at first use); anything else falls back to reflection with the same options.
        options.TypeInfoResolver = JsonTypeInfoResolver.Combine(ApiJsonContext.Default, options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
            .WithAddedModifier(DescribeResultKinds);
    }

    /// <summary>The wire names of the result kinds; an unknown "type" is refused, never guessed.</summary>
    private static void DescribeResultKinds(JsonTypeInfo info)
    {
        if (info.Type != typeof(ResultBody))
        {
            return;
        }

        info.PolymorphismOptions = new JsonPolymorphismOptions
        {
            TypeDiscriminatorPropertyName = "type",
            UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization,
            DerivedTypes =
            {
                new JsonDerivedType(typeof(IssueAnalysisBody), "issue_analysis"),
                new JsonDerivedType(typeof(TaskDecompositionBody), "task_decomposition"),
                new JsonDerivedType(typeof(CodeGenerationBody), "code_generation"),
                new JsonDerivedType(typeof(ReviewBody), "review"),
                new JsonDerivedType(typeof(GenericBody), "generic"),
            },
        };
    }

    /// <summary>Durations travel as a number of seconds (e.g. "ttl": 3600).</summary>
    private sealed class TimeSpanSecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var seconds) || double.IsNaN(seconds) || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds)
            {
                throw new JsonException("A duration must be a number of seconds.");
            }

            return TimeSpan.FromSeconds(seconds);
        }

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// Source-generated metadata for the hot path — heartbeats, acknowledgements, steering, registration,
/// keys — and the problem details every error carries. The naming policy, converters and polymorphism
/// still come from <see cref="ApiJson.Configure"/>'s options, so the wire format is the same as with
/// reflection (the HTTP tests pin it). Types that reach a record with an initialized init-only
/// property (<see cref="ContextBody"/>'s <c>previous_results = []</c>) stay on reflection:
/// generated metadata binds init-only properties like constructor parameters, so a property left
/// out of a body would arrive null, not as its default.
/// </summary>
[JsonSerializable(typeof(RegistryRequest))]
[JsonSerializable(typeof(SteerRequest))]
[JsonSerializable(typeof(KeyRequest))]
[JsonSerializable(typeof(FailRequest))]
[JsonSerializable(typeof(AgentHeartbeatRequest))]
[JsonSerializable(typeof(SessionHeartbeatRequest))]
[JsonSerializable(typeof(AcknowledgeRequest))]
[JsonSerializable(typeof(KeyCreated))]
[JsonSerializable(typeof(AgentResponse))]
[JsonSerializable(typeof(LeaseResponse))]
[JsonSerializable(typeof(DirectiveResponse))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
