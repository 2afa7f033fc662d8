using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using SessionMesh.Contracts;

namespace SessionMesh.Silo.Api;

/// <summary>
/// The silo's side of the wire's JSON (<see cref="WireJson"/>, shared with the CLI): the same
/// policy, with the hot request and response types source-generated (no reflection, no metadata
/// built at first use); anything else falls back to reflection with the same options.
/// </summary>
public static class ApiJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        WireJson.Configure(options, JsonTypeInfoResolver.Combine(ApiJsonContext.Default, options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()));
    }
}

/// <summary>
/// Source-generated metadata for the hot path — heartbeats, acknowledgements, steering, registration,
/// keys — and the problem details every error carries. The naming policy, converters and polymorphism
/// still come from <see cref="WireJson.Configure"/>, so the wire format is the same as with
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
