namespace InContext.Baselines;

/// <summary>
/// Each feature's samples of one prompt in increasing order of that feature, sorted once. The
/// tree learners split on sorted orders, and the sorted order of any prefix of the prompt is a
/// filter of the whole prompt's, so no prefix sorts again. Not thread-safe: one per worker.
/// </summary>
public sealed class SortedColumns
{
    readonly int[][] order;
    readonly int[][] prefix;   // what Prefix fills, reused for every prefix

    /// <summary>Sorts each feature's samples of <paramref name="prompt"/> once.</summary>
    public SortedColumns(Prompt prompt)
    {
        int n = prompt.N, d = prompt.D;
        order = new int[d][];
        var keys = new double[n];
        for (int f = 0; f < d; f++)
        {
            order[f] = Enumerable.Range(0, n).ToArray();
            for (int s = 0; s < n; s++) keys[s] = prompt.X[s * d + f];
            Array.Sort(keys, order[f]);
        }
        prefix = order.Select(o => new int[o.Length]).ToArray();
    }

    /// <summary>
    /// Column f's first <paramref name="count"/> entries are samples <c>0..count-1</c> in increasing
    /// order of feature f. The same arrays each call, overwritten by the next.
    /// </summary>
    public int[][] Prefix(int count)
    {
        for (int f = 0; f < order.Length; f++)
        {
            var column = prefix[f];
            int m = 0;
            foreach (int s in order[f])
                if (s < count) column[m++] = s;
        }
        return prefix;
    }
}
