namespace SessionMesh.Errors;

/// <summary>
/// Input rules shared by every edge (grains, client, HTTP), so one bad value gets one clear error
/// wherever it enters. Each check throws <see cref="InvalidInputException"/> naming the field as the
/// caller gives it: grains name a contract member (<c>ToAgent</c>, a nested value by its path
/// <c>Context.PreviousResults[0].JsonPayload</c>), and each edge shows that in its own naming.
/// </summary>
public static class Validate
{
    /// <summary>The field of an agent grain's key (a key is no member, so it is named as its owner calls it).</summary>
    public const string AgentIdField = "AgentId";

    /// <summary>The field of a session grain's key.</summary>
    public const string SessionIdField = "SessionId";

    /// <summary>The longest name or id the mesh accepts.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The longest free text (purpose, error, message) the mesh accepts.</summary>
    public const int MaxTextLength = 4000;

    /// <summary>A name or id: non-empty, at most 200 characters, no control characters.</summary>
    public static string Name(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidInputException(field, "must not be empty.");
        }

        if (value.Length > MaxNameLength)
        {
            throw new InvalidInputException(field, $"must be at most {MaxNameLength} characters (got {value.Length}).");
        }

        if (value.Any(char.IsControl))
        {
            throw new InvalidInputException(field, "must not contain control characters.");
        }

        if (HasInvisible(value))
        {
            throw new InvalidInputException(field, "must not contain format, private-use, unassigned or lone surrogate characters.");
        }

        return value;
    }

    /// <summary>An agent id, specialization, key id or key label: the id alphabet of <see cref="MeshIds"/>.</summary>
    public static string Id(string field, string? value) =>
        MeshIds.Problem(value) is { } problem ? throw new InvalidInputException(field, problem) : value!;

    /// <summary>Free text: at most 4000 characters; line breaks and tabs allowed, other control characters not.</summary>
    public static string Text(string field, string? value, bool required = false)
    {
        if (value is null || (required && string.IsNullOrWhiteSpace(value)))
        {
            if (required)
            {
                throw new InvalidInputException(field, "must not be empty.");
            }

            return string.Empty;
        }

        if (value.Length > MaxTextLength)
        {
            throw new InvalidInputException(field, $"must be at most {MaxTextLength} characters (got {value.Length}).");
        }

        if (value.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            throw new InvalidInputException(field, "must not contain control characters other than line breaks and tabs.");
        }

        return value;
    }

    /// <summary>A session context: a known phase, a sane worktree path, well-formed results.</summary>
    public static void Context(string field, Sessions.SessionContext? context)
    {
        if (context is null)
        {
            throw new InvalidInputException(field, "is required.");
        }

        if (!Enum.IsDefined(context.CurrentPhase))
        {
            throw new InvalidInputException($"{field}.{nameof(context.CurrentPhase)}", $"'{context.CurrentPhase}' is not a phase.");
        }

        if (context.WorktreePath is not null)
        {
            Text($"{field}.{nameof(context.WorktreePath)}", context.WorktreePath);
        }

        if (context.PreviousResults is null)
        {
            throw new InvalidInputException($"{field}.{nameof(context.PreviousResults)}", "must be a list (use an empty one).");
        }

        for (var i = 0; i < context.PreviousResults.Count; i++)
        {
            Result($"{field}.{nameof(context.PreviousResults)}[{i}]", context.PreviousResults[i]);
        }
    }

    /// <summary>The longest estimated duration a result may carry.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(3650);

    /// <summary>
    /// One agent result, every property present and in range, so that nothing is stored that cannot be
    /// read back (a null where the wire format needs a value would make every later read fail).
    /// </summary>
    public static void Result(string field, Sessions.AgentResult? result)
    {
        switch (result)
        {
            case null:
                throw new InvalidInputException(field, "must not be null.");
            case Sessions.IssueAnalysisResult issue:
                Name($"{field}.{nameof(issue.Complexity)}", issue.Complexity);
                if (issue.EstimatedDuration < TimeSpan.Zero || issue.EstimatedDuration > MaxDuration)
                {
                    throw new InvalidInputException($"{field}.{nameof(issue.EstimatedDuration)}", "must be from 0 seconds to 10 years.");
                }

                break;
            case Sessions.TaskDecompositionResult decomposition:
                if (decomposition.Tasks is null)
                {
                    throw new InvalidInputException($"{field}.{nameof(decomposition.Tasks)}", "is required (a list of task descriptions).");
                }

                for (var t = 0; t < decomposition.Tasks.Count; t++)
                {
                    Text($"{field}.{nameof(decomposition.Tasks)}[{t}]", decomposition.Tasks[t] ?? throw new InvalidInputException($"{field}.{nameof(decomposition.Tasks)}[{t}]", "must not be null."), required: true);
                }

                break;
            case Sessions.CodeGenerationResult codegen:
                Fraction($"{field}.{nameof(codegen.Confidence)}", codegen.Confidence, 0, 1);
                if (codegen.SuccessfulWorlds < 0)
                {
                    throw new InvalidInputException($"{field}.{nameof(codegen.SuccessfulWorlds)}", "must not be negative.");
                }

                break;
            case Sessions.ReviewResult review:
                Fraction($"{field}.{nameof(review.QualityScore)}", review.QualityScore, 0, 100);
                if (review.IssuesFound < 0)
                {
                    throw new InvalidInputException($"{field}.{nameof(review.IssuesFound)}", "must not be negative.");
                }

                break;
            case Sessions.GenericResult generic:
                Name($"{field}.{nameof(generic.Name)}", generic.Name);
                JsonDocumentText($"{field}.{nameof(generic.JsonPayload)}", generic.JsonPayload);
                break;
            default:
                throw new InvalidInputException($"{field}.Type", $"'{result.GetType().Name}' is not a result type.");
        }
    }

    /// <summary>The largest generic result payload.</summary>
    public const int MaxPayloadLength = 64 * 1024;

    private static void Fraction(string field, double value, double min, double max)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            throw new InvalidInputException(field, $"must be a number from {min} to {max}.");
        }
    }

    private static void JsonDocumentText(string field, string? json)
    {
        if (json is null)
        {
            throw new InvalidInputException(field, "is required (a JSON document as a string).");
        }

        if (json.Length > MaxPayloadLength)
        {
            throw new InvalidInputException(field, $"must be at most {MaxPayloadLength} characters (got {json.Length}).");
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (System.Text.Json.JsonException)
        {
            throw new InvalidInputException(field, "must be a JSON document.");
        }
    }

    // Characters that display as nothing or as something else (U+202E reverses text, U+FEFF is
    // invisible, U+FFFF is not a character): refused so an id or name cannot impersonate another.
    private static bool HasInvisible(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                var category = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(value, i);
                i++;
                if (category is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.PrivateUse or System.Globalization.UnicodeCategory.OtherNotAssigned)
                {
                    return true;
                }

                continue;
            }

            if (char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.PrivateUse
                or System.Globalization.UnicodeCategory.OtherNotAssigned or System.Globalization.UnicodeCategory.Surrogate)
            {
                return true;
            }
        }

        return false;
    }
}
