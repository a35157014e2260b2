using InContext.Yaml;

namespace InContext.Tasks;

/// <summary>
/// The function classes by the names configs use. To add a class: write its file (a
/// <see cref="FunctionClass"/> with a <c>FromKwargs</c> that reads its <c>task_kwargs</c>) and add
/// one line here; configs, training, evaluation, figures, reports, probes and predictions then
/// know it through the facts the class states about itself.
/// </summary>
public static class TaskRegistry
{
    static readonly Dictionary<string, Func<Section, int, FunctionClass>> Classes = new()
    {
        ["linear_regression"] = LinearRegression.FromKwargs,
        ["sparse_linear_regression"] = SparseLinearRegression.FromKwargs,
        ["linear_classification"] = LinearClassification.FromKwargs,
        ["noisy_linear_regression"] = NoisyLinearRegression.FromKwargs,
        ["quadratic_regression"] = QuadraticRegression.FromKwargs,
        ["relu_2nn_regression"] = Relu2nnRegression.FromKwargs,
        ["decision_tree"] = DecisionTree.FromKwargs,
        ["logistic_regression"] = LogisticRegression.FromKwargs,
    };

    /// <summary>The registered class names, as configs' <c>task</c> names them.</summary>
    public static IReadOnlyCollection<string> Names => Classes.Keys;

    /// <summary>Builds a function class from its <c>task_kwargs</c>; unknown kwargs and bad values are refused with their key path.</summary>
    public static FunctionClass Create(string name, Section kwargs, int nDims)
    {
        if (!Classes.TryGetValue(name, out var create))
            throw kwargs.Error("", $"unknown task '{name}' (expected one of: {string.Join(", ", Names)})");
        var task = create(kwargs, nDims);
        kwargs.EnsureNoUnknownKeys();
        return task;
    }

    /// <summary>The class <paramref name="name"/> with its default settings.</summary>
    public static FunctionClass CreateDefault(string name, int nDims) => Create(name, new Dictionary<string, object?>(), nDims);

    /// <summary>Builds a function class from kwargs given as a tree (a config's <c>task_kwargs</c>), named <paramref name="source"/> in errors.</summary>
    public static FunctionClass Create(string name, Dictionary<string, object?> kwargs, int nDims, string source = "task_kwargs") =>
        Create(name, new Section(source, "", kwargs), nDims);
}
