using System.Buffers.Text;
using System.Globalization;
using System.Text;
using SessionMesh.Errors;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// Opaque page cursors: a position in the catalog's newest-first order ("C:ticks:id"), or the last
/// id of a lease listing ("L:id"). Base64url so they travel in URLs untouched.
/// </summary>
public static class PageCursor
{
    public static string ForCatalog(SessionCatalogEntry entry) =>
        Encode(string.Create(CultureInfo.InvariantCulture, $"C:{entry.At.UtcTicks}:{entry.SessionId:N}"));

    public static string ForLeases(string lastId) => Encode($"L:{lastId}");

    public static SessionCatalogEntry? ReadCatalog(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        var parts = Decode(cursor).Split(':');
        return parts.Length == 3 && parts[0] == "C"
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks
            && Guid.TryParseExact(parts[2], "N", out var id)
            ? new SessionCatalogEntry(id, new DateTimeOffset(ticks, TimeSpan.Zero))
            : throw Invalid();
    }

    public static string? ReadLeases(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        var text = Decode(cursor);
        return text.StartsWith("L:", StringComparison.Ordinal) && text.Length > 2 ? text[2..] : throw Invalid();
    }

    /// <summary>The sessions still to visit, in breadth-first order ("D:id,id"): a session hands off once, so this stays short.</summary>
    public static string ForDescendants(IEnumerable<Guid> pending) => Encode("D:" + string.Join(',', pending.Select(id => id.ToString("N"))));

    public static IReadOnlyList<Guid>? ReadDescendants(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }

        var text = Decode(cursor);
        if (!text.StartsWith("D:", StringComparison.Ordinal) || text.Length == 2)
        {
            throw Invalid();
        }

        var ids = new List<Guid>();
        foreach (var part in text[2..].Split(','))
        {
            ids.Add(Guid.TryParseExact(part, "N", out var id) ? id : throw Invalid());
        }

        return ids;
    }

    private static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static string Decode(string cursor)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw Invalid();
        }
    }

    private static InvalidInputException Invalid() => new("cursor", "is not a cursor this service issued for this listing.");
}
