namespace InContext.Sweeps;

/// <summary>
/// How to start the icl program: an executable and the arguments before the command
/// (<c>dotnet /path/icl.dll</c>, or the apphost <c>/path/icl</c> alone). A sweep starts its runs
/// with the very program that prepared it, by absolute paths, so every run uses the same build.
/// </summary>
public sealed record IclProgram(string FileName, IReadOnlyList<string> LeadingArguments)
{
    /// <summary>
    /// The program this process is: <paramref name="processPath"/> (<c>Environment.ProcessPath</c>)
    /// and, when that is the dotnet host, the entry assembly <paramref name="assemblyPath"/>.
    /// </summary>
    public static IclProgram Of(string processPath, string? assemblyPath)
    {
        var host = Path.GetFullPath(processPath);
        var isHost = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        if (!isHost) return new IclProgram(host, []);
        if (string.IsNullOrEmpty(assemblyPath)) throw new InvalidOperationException("icl runs under the dotnet host but its assembly path is unknown");
        return new IclProgram(host, [Path.GetFullPath(assemblyPath)]);
    }

    /// <summary>The program and its leading arguments as one bash array's items, each quoted.</summary>
    public string ShellWords => string.Join(" ", new[] { FileName }.Concat(LeadingArguments).Select(Shell.Quote));
}

/// <summary>Quoting for the bash scripts a sweep writes.</summary>
public static class Shell
{
    /// <summary><paramref name="word"/> in single quotes, any single quote in it closed, escaped and reopened.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>
    /// <paramref name="word"/> as it is when bash reads it as that one word unchanged (letters,
    /// digits and <c>_-./:=@%+,</c>), else <see cref="Quote"/>d: for commands printed for a user to copy.
    /// </summary>
    public static string Word(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:=@%+,".Contains(c)) ? word : Quote(word);
}
