using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SessionMesh.Silo.Api;

/// <summary>
/// Documents a JSON request body in OpenAPI without the framework's content-type matching (which
/// would refuse `curl -d`, the skill's documented form): bodies are read by <see cref="JsonBody"/>.
/// </summary>
public static class RequestBodyDocs
{
    public static RouteHandlerBuilder WithRequestBody<T>(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new DocumentedBody(typeof(T)));

    public static OpenApiOptions AddRequestBodies(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
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
        });
        return options;
    }

    private sealed record DocumentedBody(Type Type);
}
