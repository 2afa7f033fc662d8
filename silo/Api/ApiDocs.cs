using System.Reflection;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SessionMesh.Silo.Api;

/// <summary>
/// What the OpenAPI document says beyond what the framework infers: only the API (not the
/// dashboard's internal routes), JSON request bodies read by <see cref="JsonBody"/>, the problem
/// statuses each operation can answer, and query values bound as text described as the type they
/// must parse as.
/// </summary>
public static class ApiDocs
{
    /// <summary>Documents a JSON request body without the framework's content-type matching (which would refuse `curl -d`, the skill's documented form).</summary>
    public static RouteHandlerBuilder WithRequestBody<T>(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new DocumentedBody(typeof(T)));

    /// <summary>The problem statuses (RFC 9457 bodies) an operation can answer besides its success.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses) =>
        statuses.Aggregate(builder, (b, status) => b.ProducesProblem(status));

    /// <summary>The problem statuses every operation of a group can answer.</summary>
    public static RouteGroupBuilder ProducesProblems(this RouteGroupBuilder builder, params int[] statuses) =>
        statuses.Aggregate(builder, (b, status) => b.ProducesProblem(status));

    public static OpenApiOptions AddMeshApiDocs(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The dashboard's and sign-in pages' routes are the UI's business, not the API's.
        options.ShouldInclude = description =>
            description.RelativePath is { } path
            && (path.StartsWith(ApiRoutes.Prefix, StringComparison.Ordinal) || path.StartsWith("health/", StringComparison.Ordinal));

        options.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<DocumentedBody>().FirstOrDefault() is { } body)
            {
                var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken);
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
                };
            }

            foreach (var parameter in context.Description.ParameterDescriptions)
            {
                if (ParameterInfo(parameter)?.GetCustomAttribute<WireTypeAttribute>() is { } wire
                    && operation.Parameters?.FirstOrDefault(p => p.Name == parameter.Name) is OpenApiParameter documented)
                {
                    documented.Schema = wire.Describe(await context.GetOrCreateSchemaAsync(wire.Type, null, cancellationToken));
                }
            }
        });
        return options;
    }

    private static ParameterInfo? ParameterInfo(ApiParameterDescription parameter) =>
        (parameter.ParameterDescriptor as IParameterInfoParameterDescriptor)?.ParameterInfo;

    private sealed record DocumentedBody(Type Type);
}

/// <summary>
/// A query value bound as text, so that a wrong one is answered by a problem naming it (the
/// framework's own binding would answer a bare 400), documented in OpenAPI as the type it must
/// parse as, with its bounds and its default as they appear in the query string.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class WireTypeAttribute(Type type) : Attribute
{
    public Type Type { get; } = type;

    /// <summary>The least value accepted; <see cref="double.NaN"/> for none.</summary>
    public double Minimum { get; set; } = double.NaN;

    /// <summary>The greatest value accepted; <see cref="double.NaN"/> for none.</summary>
    public double Maximum { get; set; } = double.NaN;

    /// <summary>The value used when the parameter is left out, as JSON (e.g. "100", "true").</summary>
    public string? Default { get; set; }

    internal OpenApiSchema Describe(IOpenApiSchema schema)
    {
        var described = new OpenApiSchema { Type = schema.Type, Format = schema.Format };
        if (!double.IsNaN(Minimum))
        {
            described.Minimum = Minimum.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (!double.IsNaN(Maximum))
        {
            described.Maximum = Maximum.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Default is not null)
        {
            described.Default = System.Text.Json.Nodes.JsonNode.Parse(Default);
        }

        return described;
    }
}
