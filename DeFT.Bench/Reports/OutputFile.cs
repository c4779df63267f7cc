using Spectre.Console;

namespace DeFT.Bench.Reports;

/// <summary>
/// The files a command writes (<c>--json</c>, <c>--md</c>, <c>--png</c>, <c>ptx --out</c>): checked when the command line is
/// validated, so a bad path fails before minutes of work instead of after; written with their folders (as <c>mkdir -p</c>);
/// each announced as "written to PATH".
/// </summary>
public static class OutputFile
{
    /// <summary>
    /// A one-line error naming <paramref name="option"/> when <paramref name="path"/> cannot be a file to write (empty, an
    /// existing folder, or below a file); null when it can, or when the option was not given.
    /// </summary>
    public static string? Problem(string option, string? path)
    {
        if (path is null) return null;
        if (string.IsNullOrWhiteSpace(path)) return $"{option} needs a file path.";
        if (Directory.Exists(path)) return $"{option} {path} is a folder; give a file path.";
        return AncestorProblem(option, path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>
    /// A one-line error naming <paramref name="option"/> when <paramref name="folder"/> cannot be a folder to write into (empty,
    /// or it or a folder above it is a file); null when it can.
    /// </summary>
    public static string? FolderProblem(string option, string folder) =>
        string.IsNullOrWhiteSpace(folder) ? $"{option} needs a folder path." : AncestorProblem(option, folder, Path.GetFullPath(folder));

    /// <summary>An error when the nearest existing path at or above <paramref name="folder"/> is a file.</summary>
    private static string? AncestorProblem(string option, string given, string? folder)
    {
        for (var dir = folder; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir)) return null;
            if (File.Exists(dir)) return $"{option} {given}: {dir} is a file, not a folder.";
        }
        return null;
    }

    /// <summary>
    /// Creates the folder of <paramref name="path"/>, runs <paramref name="write"/> (which returns the files it wrote) and
    /// prints "written to" for each; an I/O error becomes an <see cref="IOException"/> whose one-line message names
    /// <paramref name="option"/>. Does nothing when <paramref name="path"/> is null (the option was not given).
    /// </summary>
    public static void Write(string option, string? path, Func<string, IEnumerable<string>> write)
    {
        if (path is null) return;
        List<string> files;
        try
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            files = write(path).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option} {path}: {e.Message}", e);
        }
        foreach (var file in files) AnsiConsole.MarkupLineInterpolated($"[grey]written to {file}[/]");
    }

    /// <summary><see cref="Write(string, string?, Func{string, IEnumerable{string}})"/> for a writer of exactly <paramref name="path"/>.</summary>
    public static void Write(string option, string? path, Action<string> write) =>
        Write(option, path, p =>
        {
            write(p);
            return [p];
        });
}
