namespace SessionMesh.Errors;

/// <summary>
/// Input rules shared by every edge (grains, client, HTTP), so one bad value gets one clear error
/// wherever it enters. Each check throws <see cref="InvalidInputException"/> naming the field.
/// </summary>
public static class Validate
{
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

        return value;
    }

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
            throw new InvalidInputException($"{field}.current_phase", $"'{context.CurrentPhase}' is not a phase.");
        }

        if (context.WorktreePath is not null)
        {
            Text($"{field}.worktree_path", context.WorktreePath);
        }

        if (context.PreviousResults is null)
        {
            throw new InvalidInputException($"{field}.previous_results", "must be a list (use an empty one).");
        }

        for (var i = 0; i < context.PreviousResults.Count; i++)
        {
            if (context.PreviousResults[i] is null)
            {
                throw new InvalidInputException($"{field}.previous_results[{i}]", "must not be null.");
            }

            if (context.PreviousResults[i] is Sessions.GenericResult generic)
            {
                Name($"{field}.previous_results[{i}].name", generic.Name);
            }
        }
    }
}
