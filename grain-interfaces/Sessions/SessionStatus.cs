namespace SessionMesh.Sessions;

/// <summary>Where a session is in its lifecycle. Only <see cref="Active"/> can change.</summary>
[GenerateSerializer, Alias("sessionmesh.session-status")]
public enum SessionStatus
{
    /// <summary>Running: may be handed off, completed or failed.</summary>
    Active = 0,

    /// <summary>Handed its work to a child session.</summary>
    HandedOff = 1,

    /// <summary>Finished successfully.</summary>
    Completed = 2,

    /// <summary>Finished with an error.</summary>
    Failed = 3,
}
