using SessionMesh.Contracts;
using SessionMesh.Errors;

namespace SessionMesh.Silo.Api;

/// <summary>
/// Field names in errors as the HTTP API and the MCP tools show them. Grains and the shared rules
/// name a field by its contract member (<c>ToAgent</c>, <c>Context.PreviousResults[0].JsonPayload</c>,
/// a parameter such as <c>limit</c>); the edge shows it in the wire's naming, segment by segment
/// (<c>to_agent</c>, <c>context.previous_results[0].json_payload</c>). Renaming a grain contract
/// member therefore changes neither the request bodies nor the errors the API names; a route whose
/// wire name is not the member's name in wire naming says which with <see cref="WireFieldNames"/>.
/// </summary>
public static class WireNames
{
    /// <summary>The wire name of <paramref name="field"/> on <paramref name="endpoint"/> (idempotent: a wire name stays as it is).</summary>
    public static string Field(string field, Endpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (endpoint?.Metadata.GetMetadata<WireFieldNames>() is { } names && names.Names.TryGetValue(field, out var named))
        {
            return named;
        }

        return string.Join('.', field.Split('.').Select(Segment));
    }

    /// <summary>The error's text with its field in wire naming ("to_agent: must not be empty.").</summary>
    public static string Describe(InvalidInputException error, Endpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        return $"{Field(error.Field, endpoint)}: {error.Problem}";
    }

    /// <summary>Gives a route the wire names of the contract members it renames (member → wire).</summary>
    public static RouteHandlerBuilder WithWireFieldNames(this RouteHandlerBuilder route, params (string Member, string Wire)[] names)
    {
        ArgumentNullException.ThrowIfNull(route);
        return route.WithMetadata(new WireFieldNames(names.ToDictionary(n => n.Member, n => n.Wire, StringComparer.Ordinal)));
    }

    private static string Segment(string segment)
    {
        // An index stays as it is (previous_results[0]), and so does a name that is no member's, such
        // as a header the edge names itself (Last-Event-ID).
        var index = segment.IndexOf('[', StringComparison.Ordinal);
        var name = index < 0 ? segment : segment[..index];
        var member = name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return member ? WireJson.Naming.ConvertName(name) + segment[name.Length..] : segment;
    }
}

/// <summary>Route metadata: contract members whose wire name is not their name in wire naming (e.g. <c>afterSequence</c> is <c>after</c>).</summary>
public sealed record WireFieldNames(IReadOnlyDictionary<string, string> Names);
