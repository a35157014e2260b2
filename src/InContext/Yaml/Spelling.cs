namespace InContext.Yaml;

/// <summary>"Did you mean …?" for a misspelt key: the expected word within two edits of what was written.</summary>
public static class Spelling
{
    /// <summary>The candidate nearest to <paramref name="word"/> by edit distance, if one is within two edits; else null.</summary>
    public static string? Nearest(string word, IEnumerable<string> candidates) =>
        candidates.Select(c => (c, d: Distance(word, c))).Where(x => x.d <= 2).OrderBy(x => x.d).Select(x => x.c).FirstOrDefault();

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, one row at a time.</summary>
    static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}
