using System.Data.Common;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace SessionMesh.Storage;

/// <summary>
/// The data-protection key ring in the mesh's own database (SQLite or PostgreSQL, table
/// MeshDataProtectionKeys), so every silo of a cluster protects and unprotects with the same keys.
/// The framework reads the ring rarely (at first use and when it refreshes) and only appends.
/// </summary>
public sealed class DbXmlRepository(DbDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT Xml FROM MeshDataProtectionKeys ORDER BY Id;";
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var connection = dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO MeshDataProtectionKeys (FriendlyName, Xml) VALUES (@name, @xml);";
        command.AddParameters(("name", friendlyName ?? string.Empty), ("xml", element.ToString(SaveOptions.DisableFormatting)));
        command.ExecuteNonQuery();
    }
}
