using System.Globalization;
using InContext.Sampling;
using InContext.Tasks;
using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// One evaluation: the function class drawn from, how the inputs are transformed
/// (<paramref name="InputScale"/> as <c>xs @ scale</c>, then <paramref name="InputBias"/> added), and
/// how prompts are built. <paramref name="ActiveDims"/> zeroes the input coordinates from that
/// index on, as the curriculum does (null: all dims active).
/// </summary>
public sealed record EvaluationSpec(
    string Name,
    FunctionClass Task,
    PromptingStrategy Strategy,
    Tensor? InputScale = null,
    Tensor? InputBias = null,
    int? ActiveDims = null)
{
    /// <summary>The input dims that carry values.</summary>
    public int Dims => ActiveDims ?? Task.NDims;

    /// <summary>Inputs <c>[count, nPoints, d]</c> as this evaluation draws them (transformed, the inactive dims zeroed).</summary>
    public Tensor SampleInputs(int nPoints, int count, Generator generator) =>
        new GaussianSampler(Task.NDims, InputScale, InputBias).Sample(nPoints, count, generator, ActiveDims);

    /// <summary>
    /// <paramref name="count"/> prompts of <paramref name="nPoints"/> points from <paramref name="generator"/>,
    /// in the one order every evaluation draws them: inputs, the strategy's queries, functions, outputs,
    /// the queries' targets. So one seed gives the same prompts to every model and every use.
    /// </summary>
    public PromptBatch Draw(int nPoints, int count, Generator generator)
    {
        var (xs, queries) = Strategy.Build(SampleInputs(nPoints, count, generator), generator);
        var functions = Task.SampleFunctions(count, generator, Dims);
        var ys = Task.Evaluate(functions, xs, generator);
        return new PromptBatch(xs, ys, queries, queries is null ? ys : Task.Evaluate(functions, queries, generator), functions);
    }
}

/// <summary>The paper's evaluations for a run (eval.py's <c>build_evals</c>), from what the task says applies to it.</summary>
public static class Evaluations
{
    static string Num(double c) => c.ToString(CultureInfo.InvariantCulture);

    /// <summary>The input and output scales of the paper's shifts.</summary>
    public static readonly double[] Scales = { 0.333, 0.5, 2, 3 };

    /// <summary>
    /// Every evaluation that applies to <paramref name="task"/>: <c>standard</c>; where the task is
    /// evaluated under shifts (linear regression), the three other prompting strategies, the half
    /// subspace, skewed covariance, input and output scales; then the task's related evaluations
    /// (noisy outputs for linear regression, linear functions for ReLU nets). The random
    /// transformations are drawn from <paramref name="seed"/>, so a rerun builds the same evaluations.
    /// </summary>
    public static List<EvaluationSpec> For(FunctionClass task, long seed = 0)
    {
        var list = new List<EvaluationSpec> { new("standard", task, PromptingStrategy.Standard) };
        if (task.EvaluatedUnderShifts)
        {
            var d = task.NDims;
            foreach (var s in PromptingStrategy.All.Skip(1))
                list.Add(new(s.Name, task, s));
            using var g = new Generator(Seeds.InputTransformations(seed));
            var half = Enumerable.Range(0, d).Select(j => j < d / 2 ? 1.0 : 0.0).ToArray();
            list.Add(new("half_subspace", task, PromptingStrategy.Standard, Transformations.SampleTransformation(half, true, g)));
            var skewed = Enumerable.Range(0, d).Select(j => 1.0 / (j + 1)).ToArray();
            list.Add(new("skewed", task, PromptingStrategy.Standard, Transformations.SampleTransformation(skewed, true, g)));
            foreach (var c in Scales)
                list.Add(new(ScaleXName(c), task, PromptingStrategy.Standard, ScaleX(d, c, g)));
            foreach (var c in Scales)
                if (task.WithScale(c) is { } scaled) list.Add(new(ScaleYName(c), scaled, PromptingStrategy.Standard));
        }
        foreach (var (name, related) in task.RelatedEvaluations())
            list.Add(new(name, related, PromptingStrategy.Standard));
        return list;
    }

    /// <summary>The evaluation name of inputs scaled by <paramref name="c"/>, e.g. <c>scale-x=2</c>.</summary>
    public static string ScaleXName(double c) => $"scale-x={Num(c)}";
    /// <summary>The evaluation name of outputs scaled by <paramref name="c"/>, e.g. <c>scale-y=3</c>.</summary>
    public static string ScaleYName(double c) => $"scale-y={Num(c)}";

    /// <summary>Inputs scaled by <paramref name="c"/> through a random rotation (<c>U diag(c) Uᵀ</c>).</summary>
    public static Tensor ScaleX(int nDims, double c, Generator generator) =>
        Transformations.SampleTransformation(Enumerable.Repeat(c, nDims).ToArray(), false, generator);
}
