using System.Globalization;

namespace InContext.Reports;

/// <summary>
/// Which numbers of in-context examples a table of errors shows: the telling ones (1, d/2, d, 2d,
/// and in the console also the last), every one from 0, or a list given by the user.
/// </summary>
public sealed record ExampleColumns(IReadOnlyList<int>? Counts = null, bool Every = false)
{
    /// <summary>1, d/2, d and 2d examples (and the last position where asked).</summary>
    public static readonly ExampleColumns Telling = new();
    /// <summary>Every number of examples from 0.</summary>
    public static readonly ExampleColumns All = new(Every: true);

    /// <summary><c>all</c>, or numbers of examples separated by commas (<c>0,1,5</c>); refused as the parameter <c>k</c> otherwise.</summary>
    public static ExampleColumns Parse(string text)
    {
        if (text.Trim() == "all") return All;
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))   // an empty entry (1,,3) is a typo, refused with the rest
            counts.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k
                : throw new ParameterException("k", $"{Printable.Escape(text)}: expected 'all' or numbers of in-context examples separated by commas (0,1,5)"));
        return counts.Count > 0 ? new ExampleColumns(counts) : throw new ParameterException("k", $"{Printable.Escape(text)}: expected 'all' or numbers of examples");
    }

    /// <summary>
    /// These columns, if every number of examples asked for is a position of prompts of
    /// <paramref name="points"/> points (0 to points − 1 examples: the prediction at position k has
    /// k examples before it); refused as the parameter <c>k</c>, naming the first that is not, otherwise.
    /// </summary>
    public ExampleColumns Within(int points)
    {
        foreach (var k in Counts ?? [])
            if (k >= points)
                throw new ParameterException("k", $"{k}: expected 0 to {points - 1} in-context examples (the prompts have {points} points)");
        return this;
    }

    /// <summary>The columns for curves of <paramref name="positions"/> positions in <paramref name="nDims"/> dims, ascending.</summary>
    public IReadOnlyList<int> For(int nDims, int positions, bool withLast = false)
    {
        IEnumerable<int> ks = Every ? Enumerable.Range(0, positions)
            : Counts ?? new[] { 1, nDims / 2, nDims, 2 * nDims }.Concat(withLast ? [positions - 1] : []);
        return ks.Where(k => k >= 0 && k < positions).Distinct().Order().ToList();
    }
}
