namespace InContext.Baselines;

/// <summary>
/// Each feature's samples of one prompt in increasing order of that feature, sorted once. The
/// tree learners split on sorted orders, and the sorted order of any prefix of the prompt is a
/// filter of the whole prompt's, so no prefix sorts again.
/// </summary>
public sealed class SortedColumns
{
    readonly int[][] order;

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
    }

    /// <summary>Fills <c>columns[f][0..count)</c> with samples <c>0..count-1</c> in increasing order of feature f.</summary>
    public void Prefix(int count, int[][] columns)
    {
        for (int f = 0; f < order.Length; f++)
        {
            var column = columns[f];
            int m = 0;
            foreach (int s in order[f])
                if (s < count) column[m++] = s;
        }
    }

    /// <summary>Scratch columns for <see cref="Prefix"/>: one array of the prompt's length per feature.</summary>
    public int[][] NewColumns() => order.Select(o => new int[o.Length]).ToArray();
}
