using InContext.Baselines;
using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// Labels from a logistic model: <c>y = +1</c> with probability <c>σ(scale · x · w)</c>, else
/// <c>−1</c>, <c>w ~ N(0, I_d)</c>; unlike <c>linear_classification</c> the labels are noisy near the
/// boundary, and <c>scale</c> sets how noisy. Scored by accuracy, trained with binary
/// cross-entropy, and compared with logistic regression fitted on the same pairs.
/// </summary>
public sealed class LogisticRegression(int nDims, double scale = 1) : LinearLabels(nDims, scale)
{
    /// <inheritdoc/>
    public override string Name => "logistic_regression";

    /// <summary>Builds the class from its <c>task_kwargs</c> (<c>scale</c>).</summary>
    public static LogisticRegression FromKwargs(Section kwargs, int nDims) => new(nDims, ReadScale(kwargs));

    /// <inheritdoc/>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator)
    {
        using var probability = Linear(functions, xs).sigmoid();
        using var u = rand(probability.shape, generator: generator).to(xs.device);
        return where(u.lt(probability), 1f, -1f);
    }

    /// <summary>Logistic regression fitted on the in-context examples, 3-NN and averaging.</summary>
    public override IEnumerable<IPredictor> Baselines() => [new LogisticRegressionLearner(), new NearestNeighbours(3), new Averaging()];

    /// <inheritdoc/>
    public override FunctionClass WithScale(double scale) => new LogisticRegression(NDims, scale);
}
