namespace SessionMesh.Errors;

/// <summary>
/// The operation is not allowed from the current status, e.g. handing off a session that is
/// no longer Active. <see cref="CurrentStatus"/> names the status that forbade it.
/// </summary>
[GenerateSerializer, Alias("sessionmesh.error.invalid-transition")]
public sealed class InvalidTransitionException : SessionMeshException
{
    public InvalidTransitionException(string subject, string operation, string currentStatus)
        : base($"Cannot {operation} {subject}: it is {currentStatus}.")
    {
        Subject = subject;
        Operation = operation;
        CurrentStatus = currentStatus;
    }

    /// <summary>What was acted on, e.g. "session 5f0c…".</summary>
    [Id(0)] public string Subject { get; private set; }

    /// <summary>What was attempted, e.g. "hand off".</summary>
    [Id(1)] public string Operation { get; private set; }

    /// <summary>The status that forbade it, e.g. "HandedOff".</summary>
    [Id(2)] public string CurrentStatus { get; private set; }
}
