using System.Globalization;
using System.Text;
using Scalar = InContext.Yaml.YamlTree.Scalar;
using InContext.Storage;

namespace InContext.Yaml;

/// <summary>
/// Writes plain trees (as <see cref="YamlTree"/> reads them, or built from records) as block
/// YAML. Hand-written because the trees mix typed values and parsed scalars, and the output
/// must read back through <see cref="YamlTree"/> to the same config.
/// </summary>
public static class YamlWriter
{
    /// <paramref name="tree"/> as block YAML that <see cref="YamlTree"/> reads back to the same tree.
    public static string Write(Dictionary<string, object?> tree)
    {
        var sb = new StringBuilder();
        WriteMap(sb, tree, 0);
        return sb.ToString();
    }

    /// <summary>Writes <paramref name="tree"/> as YAML to <paramref name="path"/>, whole or not at all.</summary>
    public static void WriteAtomically(string path, Dictionary<string, object?> tree) => AtomicFile.WriteAllText(path, Write(tree));

    static void WriteMap(StringBuilder sb, Dictionary<string, object?> map, int indent)
    {
        foreach (var (key, value) in map)
        {
            sb.Append(' ', indent).Append(key).Append(':');
            switch (value)
            {
                case Dictionary<string, object?> d when d.Count == 0: sb.Append(" {}\n"); break;
                case Dictionary<string, object?> d: sb.Append('\n'); WriteMap(sb, d, indent + 2); break;
                case List<object?> l when l.Count == 0: sb.Append(" []\n"); break;
                case List<object?> l:
                    sb.Append('\n');
                    foreach (var item in l) sb.Append(' ', indent + 2).Append("- ").Append(ScalarText(item)).Append('\n');
                    break;
                default: sb.Append(' ').Append(ScalarText(value)).Append('\n'); break;
            }
        }
    }

    static string ScalarText(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        double d => FloatText(d.ToString("R", CultureInfo.InvariantCulture), double.IsFinite(d)),
        float f => FloatText(f.ToString("R", CultureInfo.InvariantCulture), float.IsFinite(f)),
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        Scalar { Quoted: true } s => Quote(s.Text),
        Scalar s => s.Text,
        string s => Quote(s),
        _ => throw new ArgumentException($"cannot write {v.GetType().Name} as YAML"),
    };

    /// <summary>
    /// A float as YAML 1.1 (PyYAML, which reads the paper's configs) reads it back as a float:
    /// only with a dot in the mantissa, so <c>1.0E-05</c> and <c>2.0</c> where .NET writes
    /// <c>1E-05</c> (a string to PyYAML) and <c>2</c> (an int).
    /// </summary>
    static string FloatText(string s, bool finite)
    {
        if (!finite) return s;
        var e = s.IndexOf('E');
        var mantissa = e < 0 ? s : s[..e];
        return mantissa.Contains('.') ? s : mantissa + ".0" + (e < 0 ? "" : s[e..]);
    }

    static string Quote(string s) => "'" + s.Replace("'", "''") + "'";
}
