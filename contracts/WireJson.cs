using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SessionMesh.Contracts;

/// <summary>
/// The wire's JSON, the same at both ends (the silo's HTTP edge and MCP tools, the CLI): snake_case
/// names, enums as their names, durations as seconds, results told apart by a "type" discriminator.
/// The grain contracts carry none of this: JSON is the edge's concern.
/// </summary>
public static class WireJson
{
    /// <summary>How member names become wire names (bodies, answers, and the fields errors name).</summary>
    public static readonly JsonNamingPolicy Naming = JsonNamingPolicy.SnakeCaseLower;

    /// <summary>Sets the wire's policy on <paramref name="options"/>, resolving types with <paramref name="resolver"/> (default: reflection).</summary>
    public static void Configure(JsonSerializerOptions options, IJsonTypeInfoResolver? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = Naming;
        options.DictionaryKeyPolicy = Naming;
        options.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
        options.Converters.Add(new TimeSpanSecondsConverter());
        options.AllowOutOfOrderMetadataProperties = true;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.RespectNullableAnnotations = true;
        options.MaxDepth = 32;
        options.TypeInfoResolver = (resolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(DescribeResultKinds);
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
