using System.Globalization;
using InContext.Evaluation;

namespace InContext.Baselines;

/// <summary>
/// The paper's baselines per task (SPEC §8, <c>get_relevant_baselines</c> in eval.py) and a
/// builder for any one of them by its metrics.json identifier.
/// </summary>
public static class BaselineSet
{
    /// <summary>
    /// The baselines the paper compares against on <paramref name="task"/>: least squares,
    /// 3-nearest neighbours and averaging for every task, plus the task's specialists.
    /// Every baseline reads the dimension from the prompts; <paramref name="nDims"/> is checked only.
    /// </summary>
    public static IReadOnlyList<IPredictor> For(string task, int nDims)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nDims);
        var list = new List<IPredictor> { new LeastSquares(), new NearestNeighbours(3), new Averaging() };
        switch (task)
        {
            case "sparse_linear_regression":
                list.AddRange(ModelNames.LassoAlphas.Select(alpha => new Lasso(alpha)));
                break;
            case "relu_2nn_regression":
                list.Add(new GradientDescentNet());
                break;
            case "decision_tree":
                list.Add(new GreedyTree(4));
                list.Add(new GreedyTree(null));
                list.Add(new BoostedTrees());
                break;
        }
        return list;
    }

    /// <summary>Identifiers <see cref="ByName"/> accepts, patterns with their parameter in angle brackets.</summary>
    public static readonly IReadOnlyList<string> Ids = new[]
    {
        ModelNames.LeastSquares, "knn_<k>", ModelNames.Averaging, "lasso_<alpha>", ModelNames.NeuralNetGd,
        ModelNames.TreeDepth4, "tree_depth_<depth>", ModelNames.Tree, ModelNames.BoostedTrees, ModelNames.BoostedTreesLightGbm,
    };

    /// <summary>Builds the baseline with metrics.json identifier <paramref name="id"/> (e.g. <c>knn_3</c>, <c>lasso_0.01</c>).</summary>
    public static IPredictor ByName(string id) => id switch
    {
        ModelNames.LeastSquares => new LeastSquares(),
        ModelNames.Averaging => new Averaging(),
        ModelNames.NeuralNetGd => new GradientDescentNet(),
        ModelNames.Tree => new GreedyTree(null),
        ModelNames.BoostedTrees => new BoostedTrees(),
        ModelNames.BoostedTreesLightGbm => new LightGbmBoostedTrees(),
        _ when Parameter(id, "knn_") is { } k && int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out int neighbours) && neighbours > 0
            => new NearestNeighbours(neighbours),
        _ when Parameter(id, "tree_depth_") is { } k && int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out int depth) && depth > 0
            => new GreedyTree(depth),
        _ when Parameter(id, "lasso_") is { } a && double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out double alpha)
                                                 && alpha > 0 && ModelNames.Lasso(alpha) == id
            => new Lasso(alpha),
        _ => throw new ArgumentException($"unknown baseline '{id}'; valid: {string.Join(", ", Ids)}", nameof(id)),
    };

    static string? Parameter(string id, string prefix) => id.StartsWith(prefix, StringComparison.Ordinal) ? id[prefix.Length..] : null;
}
