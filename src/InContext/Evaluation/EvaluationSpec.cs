using System.Globalization;
using InContext.Config;
using InContext.Sampling;
using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// One evaluation of SPEC §8: which function class (and its kwargs), how the inputs are
/// transformed, and how prompts are built. Fifteen of them for linear regression.
/// <paramref name="ActiveDims"/> zeroes the input coordinates from that index on, as the
/// curriculum does (null: all dims active); <paramref name="OutputNoise"/> adds
/// <c>N(0, OutputNoise²)</c> to every output of any function class (the examples' and the
/// targets'). The paper's evaluations use neither; <c>icl probe</c> does.
/// </summary>
public sealed record EvaluationSpec(
    string Name,
    string Task,
    Dictionary<string, object?> TaskKwargs,
    PromptingStrategy Strategy,
    Tensor? InputScale = null,
    Tensor? InputBias = null,
    int? ActiveDims = null,
    double OutputNoise = 0);

/// <summary>The paper's evaluations for a run (eval.py's <c>build_evals</c>).</summary>
public static class Evaluations
{
    static string Num(double c) => c.ToString(CultureInfo.InvariantCulture);
    public static readonly double[] Scales = { 0.333, 0.5, 2, 3 };

    /// <summary>
    /// Every evaluation that applies to a task: all fifteen for linear regression; <c>standard</c>
    /// for the others, plus <c>linear_regression</c> for ReLU nets. The random transformations
    /// are drawn from <paramref name="seed"/>, so a rerun builds the same evaluations.
    /// </summary>
    public static List<EvaluationSpec> For(string task, Dictionary<string, object?> taskKwargs, int nDims, long seed = 0)
    {
        var list = new List<EvaluationSpec> { new("standard", task, taskKwargs, PromptingStrategy.Standard) };
        if (task != "linear_regression")
        {
            if (task == "relu_2nn_regression")
                list.Add(new("linear_regression", "linear_regression", new(), PromptingStrategy.Standard));
            return list;
        }
        foreach (var s in PromptingStrategy.All.Skip(1))
            list.Add(new(s.Name, task, taskKwargs, s));

        using var g = new Generator((ulong)seed + 12345);
        var half = Enumerable.Range(0, nDims).Select(j => j < nDims / 2 ? 1.0 : 0.0).ToArray();
        list.Add(new("half_subspace", task, taskKwargs, PromptingStrategy.Standard, Transformations.SampleTransformation(half, true, g)));
        var skewed = Enumerable.Range(0, nDims).Select(j => 1.0 / (j + 1)).ToArray();
        list.Add(new("skewed", task, taskKwargs, PromptingStrategy.Standard, Transformations.SampleTransformation(skewed, true, g)));
        foreach (var c in Scales)
            list.Add(new($"scale-x={Num(c)}", task, taskKwargs, PromptingStrategy.Standard,
                Transformations.SampleTransformation(Enumerable.Repeat(c, nDims).ToArray(), false, g)));
        foreach (var c in Scales)
            list.Add(new($"scale-y={Num(c)}", task, new Dictionary<string, object?>(taskKwargs) { ["scale"] = c }, PromptingStrategy.Standard));
        list.Add(new("noisyLR", "noisy_linear_regression", new() { ["noise_std"] = 1.0, ["renormalize_ys"] = true }, PromptingStrategy.Standard));
        return list;
    }

    /// <summary>The evaluations of a run's config.</summary>
    public static List<EvaluationSpec> For(RunConfig config, long seed = 0) =>
        For(config.Training.Task, config.Training.TaskKwargs, config.Model.NDims, seed);
}
