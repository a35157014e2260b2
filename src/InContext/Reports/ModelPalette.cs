using System.Text;
using InContext.Baselines;
using InContext.Models;
using ScottPlot;

namespace InContext.Reports;

/// <summary>
/// One colour per model id, the same in every figure and every report, so a reader learns
/// once that blue is the transformer. Known ids have fixed colours (the transformer, least
/// squares, 3-NN and averaging take the colours of the paper's figures), and so do the names
/// the paper's own metrics.json uses for the same models (<see cref="PaperModelIds"/>); any
/// other id is hashed (stably, across processes) into a second palette that shares no colour
/// with the first.
/// </summary>
public static class ModelPalette
{
    static readonly Dictionary<string, Color> Known = BuildKnown();

    static Dictionary<string, Color> BuildKnown()
    {
        var known = new Dictionary<string, Color>
        {
            [InContextTransformer.Id] = Color.FromHex("#0173B2"),
            [LeastSquares.Id] = Color.FromHex("#DE8F05"),
            [NearestNeighbours.IdOf(3)] = Color.FromHex("#029E73"),
            [Averaging.Id] = Color.FromHex("#D55E00"),
            [GradientDescentNet.Id] = Color.FromHex("#CC78BC"),
            [GreedyTree.IdOfDepth(4)] = Color.FromHex("#CA9161"),
            [GreedyTree.Id] = Color.FromHex("#56B4E9"),
            [BoostedTrees.Id] = Color.FromHex("#7B3294"),
            [LightGbmBoostedTrees.Id] = Color.FromHex("#B15928"),
        };
        string[] lasso = { "#A6A000", "#E7298A", "#5C3A1E", "#17BECF", "#2F4F4F" };
        foreach (var (alpha, hex) in Lasso.PaperAlphas.Zip(lasso))
            known[Lasso.IdOf(alpha)] = Color.FromHex(hex);
        return known;
    }

    /// <summary>Colours for ids not listed above; none equals a known colour or the grey of the reference line.</summary>
    public static readonly IReadOnlyList<Color> ForUnknownIds = new[]
    {
        "#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#BCBD22",
        "#393B79", "#637939", "#8C6D31", "#843C39", "#7B4173", "#5254A3", "#8CA252", "#BD9E39",
        "#AD494A", "#A55194",
    }.Select(Color.FromHex).ToArray();

    /// <summary>Every colour a model can get, known ids first.</summary>
    public static IEnumerable<Color> All => Known.Values.Concat(ForUnknownIds);

    /// <summary>The colour of <paramref name="modelId"/>: a known id's own (under our name or the paper's), else one of <see cref="ForUnknownIds"/> chosen by a stable hash of the id.</summary>
    public static Color For(string modelId) =>
        Known.TryGetValue(modelId, out var color) ? color
        : PaperModelIds.OurId(modelId) is { } ours && Known.TryGetValue(ours, out var paper) ? paper
        : ForUnknownIds[(int)(Fnv1a(modelId) % (uint)ForUnknownIds.Count)];

    // string.GetHashCode is randomised per process; FNV-1a over UTF-8 is not.
    static uint Fnv1a(string s)
    {
        uint hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(s))
            hash = (hash ^ b) * 16777619;
        return hash;
    }
}
