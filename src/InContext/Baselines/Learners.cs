using System.Globalization;

namespace InContext.Baselines;

/// <summary>
/// Every classical learner by its id, the key of metrics.json (<c>least_squares</c>,
/// <c>knn_3</c>, <c>lasso_0.01</c>, ...). To add a learner: write its file (a <see cref="Baseline"/>
/// with its id and display name) and add one line here; <c>--models</c>, tables, figures and
/// reports then know it. Which learners a task is compared with is the task's own fact
/// (<c>FunctionClass.Baselines</c>).
/// </summary>
public static class Learners
{
    /// <summary>One learner: its id, or an id pattern with its parameter in angle brackets, and how to build it from an id.</summary>
    sealed record Entry(string Pattern, Func<string, IPredictor?> Create);

    static readonly Entry[] Entries =
    [
        Fixed(LeastSquares.Id, () => new LeastSquares()),
        WithParameter("knn_<k>", "knn_", PositiveInt, k => new NearestNeighbours(k)),
        Fixed(Averaging.Id, () => new Averaging()),
        WithParameter("lasso_<alpha>", "lasso_", PositiveReal, a => new Lasso(a)),
        Fixed(GradientDescentNet.Id, () => new GradientDescentNet()),
        WithParameter("tree_depth_<depth>", "tree_depth_", PositiveInt, d => new GreedyTree(d)),
        Fixed(GreedyTree.Id, () => new GreedyTree(null)),
        Fixed(BoostedTrees.Id, () => new BoostedTrees()),
        Fixed(LightGbmBoostedTrees.Id, () => new LightGbmBoostedTrees()),
        Fixed(LogisticRegressionLearner.Id, () => new LogisticRegressionLearner()),
        WithParameter("ridge_<alpha>", "ridge_", PositiveReal, a => new Ridge(a)),
        Fixed(ZeroPredictor.Id, () => new ZeroPredictor()),
        new("gd_<steps>_<rate>", LinearGradientDescent.TryParse),
    ];

    /// <summary>The ids <see cref="Create"/> accepts, patterns with their parameter in angle brackets.</summary>
    public static IReadOnlyList<string> Ids { get; } = Entries.Select(e => e.Pattern).ToList();

    /// <summary>Builds the learner with id <paramref name="id"/>, or null when no learner has that id.</summary>
    public static IPredictor? TryCreate(string id) => Entries.Select(e => e.Create(id)).FirstOrDefault(p => p is not null);

    /// <summary>Builds the learner with id <paramref name="id"/>; an unknown id is refused as the parameter <c>models</c>.</summary>
    public static IPredictor Create(string id) =>
        TryCreate(id) ?? throw new ParameterException("models", $"'{id}': unknown model (valid: {string.Join(", ", Ids)})");

    /// <summary>
    /// The name figures and tables show for a learner's id (dMMSE's too, which needs a run's task pool
    /// and so is not made from its id here); an id no learner has (the paper's own names) shows as it is.
    /// </summary>
    public static string DisplayName(string id) => TryCreate(id)?.DisplayName ?? (id == DiscreteMmse.Id ? DiscreteMmse.Display : id);

    static Entry Fixed(string id, Func<IPredictor> create) => new(id, s => s == id ? create() : null);

    /// <summary>An id <c>prefix + value</c> whose value parses (and prints back the same, so each learner has one id).</summary>
    static Entry WithParameter<T>(string pattern, string prefix, Func<string, T?> parse, Func<T, IPredictor> create) where T : struct =>
        new(pattern, s => s.StartsWith(prefix, StringComparison.Ordinal) && parse(s[prefix.Length..]) is { } value
                          && create(value) is var learner && learner.Name == s ? learner : null);

    static int? PositiveInt(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;

    static double? PositiveReal(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0 ? v : null;
}
