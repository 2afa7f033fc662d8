namespace SessionMesh.Storage;

/// <summary>
/// Files only the silo's own user may read: the data directory (0700), the database, keys and
/// certificates' keys (0600). Modes are set when a file is created, not after, so no other user
/// can open it in between; what an older version left readable is tightened at start.
/// </summary>
public static class OwnerOnlyFiles
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> as 0700, or tightens it to 0700; returns the full path.</summary>
    public static string Directory(string path)
    {
        var full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(full);
            return full;
        }

        if (!System.IO.Directory.Exists(full))
        {
            var parent = Path.GetDirectoryName(full);
            if (parent is not null)
            {
                System.IO.Directory.CreateDirectory(parent);
            }

            System.IO.Directory.CreateDirectory(full, DirectoryMode);
        }

        if (File.GetUnixFileMode(full) != DirectoryMode)
        {
            File.SetUnixFileMode(full, DirectoryMode);
        }

        return full;
    }

    /// <summary>
    /// Makes sure the SQLite database and its -wal/-shm companions are 0600. The database file is
    /// created empty here (SQLite accepts an empty file as a new database), and SQLite gives the
    /// journal files it creates later the mode of the database file.
    /// </summary>
    public static void Database(string databasePath)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (!File.Exists(databasePath))
        {
            try
            {
                using var created = new FileStream(databasePath, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode });
            }
            catch (IOException) when (File.Exists(databasePath))
            {
                // created meanwhile by another silo on the same directory; tightened below
            }
        }

        foreach (var path in new[] { databasePath, databasePath + "-wal", databasePath + "-shm", databasePath + "-journal" })
        {
            Tighten(path);
        }
    }

    /// <summary>Writes <paramref name="content"/> into a new 0600 file and moves it to <paramref name="path"/>, so the file is never seen half-written.</summary>
    public static void WriteSecret(string path, string content)
    {
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var create = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = FileMode;
        }

        using (var stream = new FileStream(temporary, create))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        File.Move(temporary, path, overwrite: false);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Tighten(string path)
    {
        if (File.Exists(path) && (File.GetUnixFileMode(path) & ~FileMode) != 0)
        {
            File.SetUnixFileMode(path, FileMode);
        }
    }
}
