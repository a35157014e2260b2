using InContext.Config;

namespace InContext.Tasks;

/// <summary>
/// Maps the paper's task names to function classes and reads each one's
/// <c>task_kwargs</c>. To add a function class: write its file and add one line here.
/// </summary>
public static class TaskRegistry
{
    static readonly Dictionary<string, Func<Section, int, FunctionClass>> Factories = new()
    {
        ["linear_regression"] = (k, d) => new LinearRegression(d, Scale(k)),
        ["sparse_linear_regression"] = (k, d) =>
        {
            var sparsity = k.Int("sparsity", 3);
            if (sparsity < 1 || sparsity > d) throw k.Error("sparsity", $"must be between 1 and n_dims ({d}), found {sparsity}");
            var valid = k.IntOrNull("valid_coords");
            if (valid is { } v && (v < sparsity || v > d)) throw k.Error("valid_coords", $"must be between sparsity ({sparsity}) and n_dims ({d}), found {v}");
            return new SparseLinearRegression(d, sparsity, valid, Scale(k));
        },
        ["linear_classification"] = (k, d) => new LinearClassification(d, Scale(k)),
        ["noisy_linear_regression"] = (k, d) =>
        {
            var noise = k.Double("noise_std", 0);
            if (noise < 0) throw k.Error("noise_std", $"must not be negative, found {noise}");
            return new NoisyLinearRegression(d, noise, k.Bool("renormalize_ys", false), Scale(k));
        },
        ["quadratic_regression"] = (k, d) => new QuadraticRegression(d, Scale(k)),
        ["relu_2nn_regression"] = (k, d) =>
        {
            var h = k.Int("hidden_layer_size", 100);
            if (h < 1) throw k.Error("hidden_layer_size", $"must be at least 1, found {h}");
            return new Relu2nnRegression(d, h, Scale(k));
        },
        ["decision_tree"] = (k, d) =>
        {
            var depth = k.Int("depth", 4);
            if (depth < 1 || depth > 20) throw k.Error("depth", $"must be between 1 and 20, found {depth}");
            return new DecisionTree(d, depth);
        },
    };

    static double Scale(Section k) => k.Double("scale", 1);

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>Builds a function class from its config; unknown kwargs are refused with their key path.</summary>
    public static FunctionClass Create(string name, Section kwargs, int nDims)
    {
        if (!Factories.TryGetValue(name, out var factory))
            throw kwargs.Error("", $"unknown task '{name}' (expected one of: {string.Join(", ", Names)})");
        var task = factory(kwargs, nDims);
        kwargs.EnsureNoUnknownKeys();
        return task;
    }

    /// <summary>Builds a function class from a run config.</summary>
    public static FunctionClass Create(RunConfig config, Dictionary<string, object?>? overrideKwargs = null) =>
        Create(config.Training.Task, new Section("config", "training.task_kwargs", overrideKwargs ?? config.Training.TaskKwargs), config.Model.NDims);
}
