namespace SessionMesh.Errors;

/// <summary>
/// The one id alphabet of the mesh, for agent ids, specializations, key ids and key labels:
/// <c>^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$</c>. Every accepted id is one path segment as it stands
/// (no '/', no '.' or '..', nothing to escape), a safe grain key for the ADO.NET providers (no '{' or
/// '}', which they format), and looks the same on every screen (no format, control or unassigned
/// characters). In the dependency-free contracts, so the CLI checks ids exactly as the server does.
/// </summary>
public static class MeshIds
{
    /// <summary>The longest id.</summary>
    public const int MaxLength = 128;

    /// <summary>The rule, as the errors and the README state it.</summary>
    public const string Rule = "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -, starting with a letter or digit";

    /// <summary>Whether a value is a well-formed id.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || !char.IsAsciiLetterOrDigit(value[0]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or ':' or '@' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Why a value is not an id, in a few words, or null when it is one.</summary>
    public static string? Problem(string? value) => IsValid(value)
        ? null
        : string.IsNullOrEmpty(value) ? "must not be empty." : $"{Rule} (got {Describe(value)}).";

    // Quotes the value only when it is safe to show; otherwise names its length, so a spoofing
    // character is never echoed back into a terminal or a page.
    private static string Describe(string value) =>
        value.Length <= 40 && value.All(c => c >= ' ' && c <= '~') ? $"'{value}'" : $"a value of {value.Length} characters";
}
