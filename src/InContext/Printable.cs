using System.Text;

namespace InContext;

/// <summary>Text from a file or the command line as an error message may echo it: one line, no control characters, not too long.</summary>
public static class Printable
{
    /// <paramref name="text"/> with control characters escaped (<c>\x07</c>), cut at <paramref name="max"/> characters with an ellipsis.
    public static string Escape(string text, int max = 60)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (sb.Length >= max) { sb.Append('…'); break; }
            if (char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD') sb.Append(c < 0x100 ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
