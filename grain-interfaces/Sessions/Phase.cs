namespace SessionMesh.Sessions;

/// <summary>The phase of the delivery pipeline a session is working on.</summary>
[GenerateSerializer, Alias("sessionmesh.phase")]
public enum Phase
{
    IssueAnalysis = 0,
    TaskDecomposition = 1,
    WorktreeCreation = 2,
    CodeGeneration = 3,
    Review = 4,
    Test = 5,
    PullRequest = 6,
    CICD = 7,
    Merge = 8,
}
