using System.Globalization;
using SessionMesh.Errors;

namespace SessionMesh.Silo.Api;

/// <summary>Parsing of path and query values, each failure a 400 naming the parameter.</summary>
public static class ApiInput
{
    public static Guid SessionId(string value, string field = "session_id") =>
        Guid.TryParse(value, out var id) ? id : throw new InvalidInputException(field, $"'{Shorten(value)}' is not a UUID.");

    public static TimeSpan? Seconds(string field, double? seconds)
    {
        if (seconds is null)
        {
            return null;
        }

        if (double.IsNaN(seconds.Value) || double.IsInfinity(seconds.Value) || seconds <= 0)
        {
            throw new InvalidInputException(field, $"must be a positive number of seconds (got {seconds.Value.ToString(CultureInfo.InvariantCulture)}).");
        }

        return seconds.Value > TimeSpan.FromDays(3650).TotalSeconds
            ? throw new InvalidInputException(field, "must be at most 10 years.")
            : TimeSpan.FromSeconds(seconds.Value);
    }

    public static TEnum Enum<TEnum>(string field, string? value, TEnum fallback)
        where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        var normalized = value.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return System.Enum.TryParse<TEnum>(normalized, ignoreCase: true, out var parsed) && System.Enum.IsDefined(parsed) && !int.TryParse(value, out _)
            ? parsed
            : throw new InvalidInputException(field, $"'{Shorten(value)}' is not one of: {string.Join(", ", System.Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}.");
    }

    public static int Limit(string? value, int fallback = 100)
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MeshLimits.MaxPage
            ? limit
            : throw new InvalidInputException("limit", $"must be a whole number from 1 to {MeshLimits.MaxPage} (got '{Shorten(value)}').");
    }

    public static long WholeNumber(string field, string? value, long fallback)
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new InvalidInputException(field, $"must be a whole number (got '{Shorten(value)}').");
    }

    public static bool Flag(string field, string? value, bool fallback)
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        return bool.TryParse(value, out var flag) ? flag : throw new InvalidInputException(field, $"must be true or false (got '{Shorten(value)}').");
    }

    private static string Shorten(string value) => value.Length > 40 ? value[..40] + "…" : value;
}
