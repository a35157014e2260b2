namespace InContext.Reports;

/// <summary>
/// What a plot needs to know about the run it shows: the task decides how squared error is
/// normalised and how many in-context examples are worth showing (the paper's plotting rules).
/// </summary>
/// <param name="Task">The task name as in the config, e.g. <c>linear_regression</c>.</param>
/// <param name="NDims">The dimension d of the inputs (the curriculum's end value).</param>
/// <param name="Sparsity">The number of non-zero weights for <c>sparse_linear_regression</c> (default 3).</param>
/// <param name="RunName">A short name for the run, shown in titles and the report.</param>
public sealed record PlotSettings(string Task, int NDims, int? Sparsity, string RunName)
{
    /// <summary>The paper's default sparsity, used when the config does not name one.</summary>
    public const int DefaultSparsity = 3;

    static readonly HashSet<string> LinearTasks = new()
    {
        "linear_regression", "sparse_linear_regression", "noisy_linear_regression",
        "linear_classification", "quadratic_regression",
    };

    /// <summary>
    /// The error of predicting 0 for every query, by which squared error is divided so that
    /// the trivial predictor sits at 1: the sparsity for sparse regression (the variance of
    /// <c>x·w</c> with that many unit weights), 1 for decision trees (unit-variance leaves),
    /// d otherwise.
    /// </summary>
    public double Normaliser => Task switch
    {
        "sparse_linear_regression" => Sparsity ?? DefaultSparsity,
        "decision_tree" => 1,
        _ => NDims,
    };

    /// <summary>
    /// How many positions (0, 1, ... in-context examples) a plot shows at most: 2d+1 for the
    /// linear tasks, where everything interesting happens around d examples, 100 otherwise.
    /// </summary>
    public int MaxPositions => LinearTasks.Contains(Task) ? 2 * NDims + 1 : 100;
}
