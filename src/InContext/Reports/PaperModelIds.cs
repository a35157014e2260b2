using System.Globalization;
using System.Text.RegularExpressions;
using InContext.Baselines;
using InContext.Models;

namespace InContext.Reports;

/// <summary>
/// The model names the paper's eval.py writes into metrics.json (e.g. <c>OLS_driver=None</c>,
/// <c>NN_n=3_uniform</c>), matched to our ids for colour only: a figure of the paper's metrics
/// then draws least squares in least squares' colour, and its many baselines cannot collide
/// in a hash. Display names are left as they are.
/// </summary>
public static partial class PaperModelIds
{
    /// <summary>Our id for one of the paper's model names, or null when the name is not one of its patterns.</summary>
    public static string? OurId(string paperName)
    {
        if (paperName.StartsWith("gpt2_embd=")) return InContextTransformer.Id;
        if (paperName.StartsWith("gd_model_")) return GradientDescentNet.Id;
        switch (paperName)
        {
            case "OLS_driver=None": return LeastSquares.Id;
            case "decision_tree_max_depth=4": return GreedyTree.IdOfDepth(4);
            case "decision_tree_max_depth=None": return GreedyTree.Id;
            case "xgboost": return BoostedTrees.Id;
        }
        if (Knn().Match(paperName) is { Success: true } knn) return NearestNeighbours.IdOf(int.Parse(knn.Groups[1].Value, CultureInfo.InvariantCulture));
        if (Lasso().Match(paperName) is { Success: true } lasso && double.TryParse(lasso.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var alpha))
            return Baselines.Lasso.IdOf(alpha);
        return null;
    }

    [GeneratedRegex(@"^NN_n=(\d+)_uniform$")]
    private static partial Regex Knn();

    [GeneratedRegex(@"^lasso_alpha=([0-9.eE+-]+)_max_iter=\d+$")]
    private static partial Regex Lasso();
}
