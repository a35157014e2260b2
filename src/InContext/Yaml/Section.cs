using System.Globalization;
using KeySource = InContext.Yaml.YamlTree.KeySource;
using Scalar = InContext.Yaml.YamlTree.Scalar;

namespace InContext.Yaml;

/// <summary>
/// One mapping of a config being bound to typed values: every read names its key path, so
/// a wrong type reads "training.batch_size: expected an integer, found 'abc'", and
/// <see cref="EnsureNoUnknownKeys"/> refuses the keys nobody asked for. An error names the
/// file that wrote the key (an inherited one, say) when the section knows it, else the config's.
/// </summary>
public sealed class Section
{
    readonly string _file;
    readonly string _path;
    readonly Dictionary<string, object?> _values;
    readonly Dictionary<string, KeySource>? _sources;
    readonly HashSet<string> _known = new();

    /// <summary>The mapping <paramref name="values"/> at key path <paramref name="path"/> of config <paramref name="file"/>.</summary>
    /// <param name="file">The config's file name, for errors.</param>
    /// <param name="path">The mapping's key path (empty at the top level).</param>
    /// <param name="values">The mapping, as <see cref="YamlTree"/> reads it or as code builds it.</param>
    /// <param name="sources">Which file wrote each key of <paramref name="values"/> (see <see cref="YamlTree.LoadWithInherit(string, out Dictionary{string, KeySource})"/>); errors about a key name its file, <paramref name="file"/> when unknown.</param>
    public Section(string file, string path, Dictionary<string, object?> values, Dictionary<string, KeySource>? sources = null)
    {
        _file = file; _path = path; _values = values; _sources = sources;
    }

    /// <summary>The config's file name, as errors name it when they concern no key of another file.</summary>
    public string File => _file;
    /// <summary>The full key path of <paramref name="key"/>, e.g. <c>training.batch_size</c>.</summary>
    public string PathOf(string key) => _path.Length == 0 ? key : $"{_path}.{key}";
    /// <summary>The file that wrote <paramref name="key"/> (the last to, where files were merged); the config's file when unknown or absent.</summary>
    public string FileOf(string key) => _sources?.GetValueOrDefault(key)?.File ?? _file;
    /// <summary>An error naming the file that wrote <paramref name="key"/> and its full path, for the caller to throw.</summary>
    public ConfigException Error(string key, string problem) => new(FileOf(key), PathOf(key), problem);
    /// <summary>The keys present, asked for or not.</summary>
    public IEnumerable<string> Keys => _values.Keys;
    /// <summary>Whether <paramref name="key"/> is present and not null; counts the key as known.</summary>
    public bool Has(string key) { _known.Add(key); return _values.TryGetValue(key, out var v) && v != null; }

    object? Raw(string key, bool required)
    {
        _known.Add(key);
        _values.TryGetValue(key, out var v);
        v = v switch
        {
            // Trees built in code hold typed values; read them as YAML would.
            bool b => new Scalar(b ? "true" : "false", false),
            string s => new Scalar(s, true),
            IFormattable f => new Scalar(f.ToString(null, CultureInfo.InvariantCulture), false),
            _ => v,
        };
        if (v == null && required) throw Error(key, "required key is missing");
        return v;
    }

    string ScalarText(string key, object v, string expected) =>
        v is Scalar s ? s.Text : throw Error(key, $"expected {expected}, found a {(v is List<object?> ? "list" : "mapping")}");

    /// <summary>Reads <paramref name="key"/> as an integer; null when absent, unless <paramref name="required"/>.</summary>
    public int? IntOrNull(string key, bool required = false)
    {
        var v = Raw(key, required);
        if (v == null) return null;
        var text = ScalarText(key, v, "an integer");
        if (v is Scalar { Quoted: false } && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return i;
        if (v is Scalar { Quoted: false } && System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw Error(key, $"expected an integer from {int.MinValue} to {int.MaxValue}, found '{text}'");
        throw Error(key, $"expected an integer, found {Found(v, text)}");
    }

    /// <summary>Reads <paramref name="key"/> as a non-empty list of integers; null when absent.</summary>
    public IReadOnlyList<long>? IntListOrNull(string key)
    {
        var v = Raw(key, false);
        if (v == null) return null;
        if (v is not List<object?> items) throw Error(key, $"expected a list of integers, found {(v is Scalar sc ? $"'{Shown(sc.Text)}'" : "a mapping")}");
        if (items.Count == 0) throw Error(key, "expected a list of integers, found an empty list");
        return items.Select((item, i) => item is Scalar { Quoted: false } s && long.TryParse(s.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw Error(key, $"item {i + 1}: expected an integer, found {(item is Scalar t ? Found(item, t.Text) : "a list or mapping")}")).ToList();
    }

    /// <summary>Reads <paramref name="key"/> as an integer, <paramref name="fallback"/> when absent; required when there is no fallback.</summary>
    public int Int(string key, int? fallback = null) =>
        IntOrNull(key, required: fallback == null) ?? fallback!.Value;

    /// <summary>
    /// Reads <paramref name="key"/> as a finite number that fits a float32 (within ±3.4e38: every
    /// number of a config ends up in float32 tensors, where a larger one fails or turns infinite),
    /// <paramref name="fallback"/> when absent; required when there is no fallback.
    /// </summary>
    public double Float(string key, double? fallback = null)
    {
        var v = Raw(key, fallback == null);
        if (v == null) return fallback!.Value;
        var text = ScalarText(key, v, "a number");
        if (v is Scalar { Quoted: false } && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return Math.Abs(d) <= float.MaxValue ? d : throw Error(key, $"expected a number within ±3.4e38 (a float32), found '{Shown(text)}'");
        throw Error(key, $"expected a finite number, found {Found(v, text)}");
    }

    /// <summary>Reads <paramref name="key"/> as true or false, <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string key, bool fallback)
    {
        var v = Raw(key, false);
        if (v == null) return fallback;
        var text = ScalarText(key, v, "true or false");
        return text switch
        {
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            _ => throw Error(key, $"expected true or false, found '{Shown(text)}'"),
        };
    }

    /// <summary>Reads <paramref name="key"/> as a string; null when absent, unless <paramref name="required"/>.</summary>
    public string? StringOrNull(string key, bool required = false)
    {
        var v = Raw(key, required);
        return v == null ? null : ScalarText(key, v, "a string");
    }

    /// <summary>Reads <paramref name="key"/> as a string, <paramref name="fallback"/> when absent; required when there is no fallback.</summary>
    public string String(string key, string? fallback = null) =>
        StringOrNull(key, required: fallback == null) ?? fallback!;

    /// <summary>Reads <paramref name="key"/> as one of <paramref name="allowed"/> (a near miss is suggested), <paramref name="fallback"/> when absent.</summary>
    public string Choice(string key, IReadOnlyCollection<string> allowed, string? fallback = null)
    {
        var value = String(key, fallback);
        if (!allowed.Contains(value))
            throw Error(key, $"'{Shown(value)}' is not one of {string.Join(", ", allowed)}{Suggestion(value, allowed)}");
        return value;
    }

    /// <summary>The mapping at <paramref name="key"/>; when absent, an error if <paramref name="required"/>, else an empty section.</summary>
    public Section Sub(string key, bool required = true)
    {
        var v = Raw(key, required);
        return v switch
        {
            null => new Section(_file, PathOf(key), new Dictionary<string, object?>()),
            Dictionary<string, object?> d => new Section(_file, PathOf(key), d, _sources?.GetValueOrDefault(key)?.Keys),
            _ => throw Error(key, "expected a mapping"),
        };
    }

    /// <summary>Whether <paramref name="key"/> holds a mapping; counts the key as known.</summary>
    public bool HasSub(string key) => Has(key) && _values[key] is Dictionary<string, object?>;

    /// <summary>
    /// Declares the section's keys and refuses any other at once, so that a misspelt key
    /// (<c>n_dim</c>) is named before the key it was meant to be is reported missing.
    /// </summary>
    public Section Expect(params string[] keys)
    {
        foreach (var k in keys) _known.Add(k);
        EnsureNoUnknownKeys();
        return this;
    }

    /// <summary>Refuses any key that no read or <see cref="Expect"/> asked for, suggesting the nearest expected key.</summary>
    public void EnsureNoUnknownKeys()
    {
        foreach (var key in _values.Keys)
            if (!_known.Contains(key))
                throw new ConfigException(FileOf(key), PathOf(Shown(key)), $"unknown key (expected one of: {string.Join(", ", _known.Order())}){Suggestion(key, _known)}");
    }

    /// <summary>"; did you mean n_dims?" when one expected word is within two edits of <paramref name="word"/>.</summary>
    static string Suggestion(string word, IEnumerable<string> expected)
    {
        var near = Spelling.Nearest(word, expected);
        return near is null ? "" : $"; did you mean {near}?";
    }

    /// <summary>A value from a file as a message shows it: control characters escaped, at most 60 characters.</summary>
    public static string Shown(string text) => Printable.Escape(text);

    /// <summary>A scalar as found, saying so when quotes made a number a string ('5' in quotes is no integer).</summary>
    static string Found(object v, string text) =>
        $"'{Shown(text)}'" + (v is Scalar { Quoted: true } && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? " (quoted, so a string: drop the quotes)" : "");
}
