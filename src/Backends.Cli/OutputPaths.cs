using System;
using System.IO;

namespace Backends.Cli;

/// <summary>Checks output files before a long run starts, so that a benchmark is never lost at the end for a bad path.</summary>
internal static class OutputPaths
{
    /// <summary>Throws <see cref="ArgumentException"/> unless every given path can be written: not a directory, in a folder that exists, writable.</summary>
    public static void Check(string option, string? path, params string[] extensions)
    {
        if (path is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException($"{option} needs a file name.");
        }

        if (Directory.Exists(path))
        {
            throw new ArgumentException($"{option} {path} is a directory; give a file name.");
        }

        if (extensions.Length > 0 && Array.IndexOf(extensions, Path.GetExtension(path).ToLowerInvariant()) < 0)
        {
            throw new ArgumentException($"{option} wants a {string.Join(" or ", extensions)} file, not '{path}'.");
        }

        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new ArgumentException($"{option} {path}: the folder {folder} does not exist.");
        }

        bool existed = File.Exists(full);
        try
        {
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} {path} cannot be written: {ex.Message}", ex);
        }
        finally
        {
            if (!existed && File.Exists(full))
            {
                File.Delete(full);
            }
        }
    }
}
