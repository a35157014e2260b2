namespace InContext.Evaluation;

/// <summary>
/// Stable model identifiers (the keys of metrics.json) and the display names the paper's
/// plots use. Unknown identifiers (e.g. from the paper's own metrics.json) display as they are.
/// </summary>
public static class ModelNames
{
    public const string Transformer = "transformer";
    public const string LeastSquares = "least_squares";
    public const string Averaging = "averaging";
    public const string NeuralNetGd = "nn_gd";
    public const string TreeDepth4 = "tree_depth_4";
    public const string Tree = "tree";
    public const string BoostedTrees = "boosted_trees";
    public const string BoostedTreesLightGbm = "boosted_trees_lightgbm";
    public static string Knn(int k) => $"knn_{k}";
    public static string Lasso(double alpha) => $"lasso_{alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    public static readonly double[] LassoAlphas = { 1, 0.1, 0.01, 0.001, 0.0001 };

    public static string Display(string id) => id switch
    {
        Transformer => "Transformer",
        LeastSquares => "Least Squares",
        Averaging => "Averaging",
        NeuralNetGd => "2-layer NN, GD",
        TreeDepth4 => "Greedy Tree Learning (max_depth=4)",
        Tree => "Greedy Tree Learning",
        BoostedTrees => "Boosted Trees (XGBoost defaults)",
        BoostedTreesLightGbm => "Boosted Trees (LightGBM)",
        _ when id.StartsWith("knn_") => $"{id[4..]}-Nearest Neighbors",
        _ when id.StartsWith("lasso_") => $"Lasso (alpha={id[6..]})",
        _ => id,
    };
}
