using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using InContext.Storage;

namespace InContext.Yaml;

/// <summary>
/// Reads YAML into plain trees (ordered dictionaries, lists, string scalars or null) and
/// resolves the paper's <c>inherit:</c> key: a list of files, relative to the including
/// file, merged depth-first, the including file's keys winning.
/// </summary>
public static class YamlTree
{
    /// <summary>A scalar as written in YAML, with whether it was quoted (quoted scalars are always strings).</summary>
    public sealed record Scalar(string Text, bool Quoted);

    /// <summary>
    /// Which file wrote a key of a merged tree (the last to write it, as <see cref="Merge(Dictionary{string, object?}, Dictionary{string, object?}, Dictionary{string, KeySource}?, Dictionary{string, KeySource}?)"/>
    /// merges), so that an error names the file the key stands in, not the file that inherits it.
    /// </summary>
    /// <param name="File">The file; null when the key was written by code, not read from a file.</param>
    /// <param name="Keys">The same for the keys of the mapping the key holds (empty for any other value).</param>
    public sealed record KeySource(string? File, Dictionary<string, KeySource> Keys)
    {
        /// <summary>Every key of <paramref name="tree"/>, at every depth, as written by <paramref name="file"/>.</summary>
        public static Dictionary<string, KeySource> Of(Dictionary<string, object?> tree, string file) =>
            tree.ToDictionary(kv => kv.Key, kv => new KeySource(file, kv.Value is Dictionary<string, object?> d ? Of(d, file) : new()));

        internal KeySource Copy() => new(File, Keys.ToDictionary(kv => kv.Key, kv => kv.Value.Copy()));
    }

    /// <summary>Reads the config at <paramref name="path"/> with its <c>inherit:</c> files merged in; a cycle, a missing file or bad YAML is a <see cref="ConfigException"/>.</summary>
    public static Dictionary<string, object?> LoadWithInherit(string path) => LoadWithInherit(path, out _);

    /// <summary>As <see cref="LoadWithInherit(string)"/>, and says which file wrote each key (<paramref name="sources"/>), for errors to name.</summary>
    public static Dictionary<string, object?> LoadWithInherit(string path, out Dictionary<string, KeySource> sources)
    {
        sources = new Dictionary<string, KeySource>();
        return LoadWithInherit(Path.GetFullPath(path), new Stack<string>(), sources);
    }

    static Dictionary<string, object?> LoadWithInherit(string path, Stack<string> chain, Dictionary<string, KeySource> sources)
    {
        if (chain.Contains(path))
            throw new ConfigException(path, "inherit", $"inherits itself through {string.Join(" -> ", chain.Reverse().Append(path).Select(Path.GetFileName))}");
        if (Directory.Exists(path))
            throw new ConfigException(path, "", "is a folder, expected a YAML file");
        if (!System.IO.File.Exists(path))
            throw new ConfigException(path, "", chain.Count == 0 ? "file not found" : $"file not found (inherited from {chain.Peek()})");
        var own = Parse(path, ReadText(path, chain.Count == 0 ? null : chain.Peek()));
        chain.Push(path);
        var merged = new Dictionary<string, object?>();
        if (own.Remove("inherit", out var inherit) && inherit != null)
        {
            var parents = inherit switch
            {
                List<object?> list => list,
                Scalar s => new List<object?> { s },
                _ => throw new ConfigException(path, "inherit", "expected a list of file names"),
            };
            foreach (var parent in parents)
            {
                if (parent is not Scalar name)
                    throw new ConfigException(path, "inherit", "expected a list of file names");
                var parentPath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, name.Text));
                var parentSources = new Dictionary<string, KeySource>();
                Merge(merged, LoadWithInherit(parentPath, chain, parentSources), sources, parentSources);
            }
        }
        chain.Pop();
        Merge(merged, own, sources, KeySource.Of(own, path));
        return merged;
    }

    /// <summary>Deep-merges <paramref name="top"/> into <paramref name="into"/>; mappings merge, everything else is replaced.</summary>
    public static void Merge(Dictionary<string, object?> into, Dictionary<string, object?> top) => Merge(into, top, null, null);

    /// <summary>
    /// Deep-merges <paramref name="top"/> into <paramref name="into"/> as <see cref="Merge(Dictionary{string, object?}, Dictionary{string, object?})"/> does,
    /// and records in <paramref name="intoSources"/> (when given) the file of each key <paramref name="top"/> writes, from
    /// <paramref name="topSources"/>; a key it has no file for is recorded as written by code (errors then name the config being read).
    /// </summary>
    public static void Merge(Dictionary<string, object?> into, Dictionary<string, object?> top,
        Dictionary<string, KeySource>? intoSources, Dictionary<string, KeySource>? topSources)
    {
        foreach (var (key, value) in top)
        {
            var from = topSources?.GetValueOrDefault(key);
            if (value is Dictionary<string, object?> sub && into.TryGetValue(key, out var existing) && existing is Dictionary<string, object?> below)
            {
                var keys = intoSources?.GetValueOrDefault(key)?.Keys ?? new();
                Merge(below, sub, intoSources is null ? null : keys, from?.Keys);
                if (intoSources != null) intoSources[key] = new KeySource(from?.File, keys);
            }
            else
            {
                into[key] = value is Dictionary<string, object?> d ? Clone(d) : value;
                if (intoSources != null) intoSources[key] = from?.Copy() ?? new KeySource(null, new());
            }
        }
    }

    static Dictionary<string, object?> Clone(Dictionary<string, object?> d)
    {
        var copy = new Dictionary<string, object?>();
        Merge(copy, d);
        return copy;
    }

    /// <summary>A config is a few dozen lines; anything past this is not one.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>
    /// Values a document may expand to, aliases counted at every use: YAML aliases can nest
    /// (an alias of a list of aliases...), and eight levels of nine already make 43 million.
    /// </summary>
    public const int MaxValues = 100_000;

    /// <summary>
    /// The text of the config file at <paramref name="path"/> (<paramref name="inheritedFrom"/> names the
    /// file that inherits it, for errors). Only a regular file of at most <see cref="MaxFileBytes"/> is
    /// read, and never more than that: a pipe would wait for a writer for ever, and a device
    /// (<c>inherit: /dev/zero</c>) or a file in /proc says it is empty and never ends.
    /// </summary>
    public static string ReadText(string path, string? inheritedFrom = null)
    {
        var from = inheritedFrom is null ? "" : $" (inherited from {inheritedFrom})";
        try
        {
            var kind = FileKinds.Of(path);
            if (kind != FileKind.Regular)
                throw new ConfigException(path, "", $"is {FileKinds.Describe(kind)}, expected a YAML file{from}");
            using var stream = System.IO.File.OpenRead(path);
            var bytes = new byte[MaxFileBytes + 1];
            var length = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (length > MaxFileBytes)
                throw new ConfigException(path, "", $"larger than {MaxFileBytes / 1024} KiB; not a config{from}");
            using var reader = new StreamReader(new MemoryStream(bytes, 0, length), detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(path, e); }
    }

    /// <summary>Parses <paramref name="text"/> (from <paramref name="file"/>, named in errors) into a tree; its top level must be a mapping, and an empty text is an empty one.</summary>
    public static Dictionary<string, object?> Parse(string file, string text)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new ConfigException(file, "", $"not valid YAML at line {e.Start.Line}: {Printable.Escape(e.Message, 120)}"); }
        if (stream.Documents.Count == 0) return new Dictionary<string, object?>();
        var budget = new int[] { MaxValues };
        return Convert(file, "", stream.Documents[0].RootNode, budget) switch
        {
            Dictionary<string, object?> d => d,
            null => new Dictionary<string, object?>(),
            _ => throw new ConfigException(file, "", "expected a mapping of sections at the top level"),
        };
    }

    static object? Convert(string file, string path, YamlNode node, int[] budget)
    {
        if (--budget[0] < 0) throw new ConfigException(file, path, $"the document expands to more than {MaxValues} values (nested YAML aliases?); not a config");
        return ConvertNode(file, path, node, budget);
    }

    static object? ConvertNode(string file, string path, YamlNode node, int[] budget) => node switch
    {
        YamlMappingNode map => ConvertMap(file, path, map, budget),
        YamlSequenceNode seq => seq.Children.Select((c, i) => Convert(file, $"{path}[{i}]", c, budget)).ToList(),
        YamlScalarNode s when s.Style is ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL") => null,
        YamlScalarNode s => new Scalar(s.Value ?? "", s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted),
        _ => throw new ConfigException(file, path, "unsupported YAML node"),
    };

    static Dictionary<string, object?> ConvertMap(string file, string path, YamlMappingNode map, int[] budget)
    {
        var d = new Dictionary<string, object?>();
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? throw new ConfigException(file, path, "keys must be plain names");
            var child = path.Length == 0 ? key : $"{path}.{key}";
            if (d.ContainsKey(key)) throw new ConfigException(file, Printable.Escape(child), "key given twice");
            d[key] = Convert(file, child, v, budget);
        }
        return d;
    }
}
