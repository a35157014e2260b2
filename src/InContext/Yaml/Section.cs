using System.Globalization;
using Scalar = InContext.Yaml.YamlTree.Scalar;

namespace InContext.Yaml;

/// <summary>
/// One mapping of a config being bound to typed values: every read names its key path, so
/// a wrong type reads "training.batch_size: expected an integer, found 'abc'", and
/// <see cref="EnsureNoUnknownKeys"/> refuses the keys nobody asked for.
/// </summary>
public sealed class Section
{
    readonly string _file;
    readonly string _path;
    readonly Dictionary<string, object?> _values;
    readonly HashSet<string> _known = new();

    public Section(string file, string path, Dictionary<string, object?> values)
    {
        _file = file; _path = path; _values = values;
    }

    public string File => _file;
    public string PathOf(string key) => _path.Length == 0 ? key : $"{_path}.{key}";
    public ConfigException Error(string key, string problem) => new(_file, PathOf(key), problem);
    public IEnumerable<string> Keys => _values.Keys;
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

    public int? IntOrNull(string key, bool required = false)
    {
        var v = Raw(key, required);
        if (v == null) return null;
        var text = ScalarText(key, v, "an integer");
        if (v is Scalar { Quoted: false } && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return i;
        if (v is Scalar { Quoted: false } && System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw Error(key, $"expected an integer from {int.MinValue} to {int.MaxValue}, found '{text}'");
        throw Error(key, $"expected an integer, found '{Shown(text)}'");
    }

    public int Int(string key, int? fallback = null) =>
        IntOrNull(key, required: fallback == null) ?? fallback!.Value;

    public double Double(string key, double? fallback = null)
    {
        var v = Raw(key, fallback == null);
        if (v == null) return fallback!.Value;
        var text = ScalarText(key, v, "a number");
        if (v is Scalar { Quoted: false } && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return d;
        throw Error(key, $"expected a finite number, found '{Shown(text)}'");
    }

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

    public string? StringOrNull(string key, bool required = false)
    {
        var v = Raw(key, required);
        return v == null ? null : ScalarText(key, v, "a string");
    }

    public string String(string key, string? fallback = null) =>
        StringOrNull(key, required: fallback == null) ?? fallback!;

    public string Choice(string key, IReadOnlyCollection<string> allowed, string? fallback = null)
    {
        var value = String(key, fallback);
        if (!allowed.Contains(value))
            throw Error(key, $"'{Shown(value)}' is not one of {string.Join(", ", allowed)}{Suggestion(value, allowed)}");
        return value;
    }

    public Section Sub(string key, bool required = true)
    {
        var v = Raw(key, required);
        return v switch
        {
            null => new Section(_file, PathOf(key), new Dictionary<string, object?>()),
            Dictionary<string, object?> d => new Section(_file, PathOf(key), d),
            _ => throw Error(key, "expected a mapping"),
        };
    }

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

    public void EnsureNoUnknownKeys()
    {
        foreach (var key in _values.Keys)
            if (!_known.Contains(key))
                throw Error(Shown(key), $"unknown key (expected one of: {string.Join(", ", _known.Order())}){Suggestion(key, _known)}");
    }

    /// <summary>"; did you mean n_dims?" when one expected word is within two edits of <paramref name="word"/>.</summary>
    static string Suggestion(string word, IEnumerable<string> expected)
    {
        var near = Spelling.Nearest(word, expected);
        return near is null ? "" : $"; did you mean {near}?";
    }

    /// <summary>A value from a file as a message shows it: control characters escaped, at most 60 characters.</summary>
    public static string Shown(string text) => Printable.Escape(text);
}
