namespace SessionMesh.Errors;

/// <summary>An argument is malformed; <see cref="Field"/> names it and the message says why.</summary>
[GenerateSerializer, Alias("sessionmesh.error.invalid-input")]
public sealed class InvalidInputException : SessionMeshException
{
    public InvalidInputException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    [Id(0)] public string Field { get; private set; }

    [Id(1)] public string Problem { get; private set; }
}
