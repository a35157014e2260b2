namespace InContext.Yaml;

/// <summary>
/// A config that cannot be used: names the file and the key path (e.g.
/// <c>training.curriculum.points.end</c>) and says what was expected. The CLI prints the
/// message as one line and exits with code 2.
/// </summary>
public sealed class ConfigException(string file, string keyPath, string problem)
    : InputException($"{file}: {(keyPath.Length > 0 ? keyPath + ": " : "")}{problem}")
{
    /// <summary>The config file at fault.</summary>
    public string File { get; } = file;
    /// <summary>The key path at fault, e.g. <c>training.curriculum.points.end</c>; empty for the whole file.</summary>
    public string KeyPath { get; } = keyPath;
}
