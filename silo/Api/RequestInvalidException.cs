namespace SessionMesh.Silo.Api;

/// <summary>A request whose fields are wrong, each named with its problem (one 400 for all of them).</summary>
public sealed class RequestInvalidException(IReadOnlyDictionary<string, string[]> errors)
    : Exception($"The request is invalid: {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}")
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>Collects field problems while checking a request, then throws them together.</summary>
public sealed class RequestCheck
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    /// <summary>Runs one check, recording the problem it names instead of stopping at it.</summary>
    public T? Field<T>(Func<T> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        try
        {
            return check();
        }
        catch (Errors.InvalidInputException ex)
        {
            _errors[WireNames.Field(ex.Field)] = [ex.Problem];
            return default;
        }
    }

    /// <summary>Records a problem found by a check of its own (the first problem of a field is kept).</summary>
    public void Add(string field, string problem) => _errors.TryAdd(field, [problem]);

    /// <summary>Records that a required field is missing.</summary>
    public T Required<T>(string field, T? value)
        where T : class
    {
        if (value is null)
        {
            _errors.TryAdd(field, ["is required."]);
        }

        return value!;
    }

    public T Required<T>(string field, T? value)
        where T : struct
    {
        if (value is null)
        {
            _errors.TryAdd(field, ["is required."]);
        }

        return value.GetValueOrDefault();
    }

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new RequestInvalidException(_errors);
        }
    }
}
