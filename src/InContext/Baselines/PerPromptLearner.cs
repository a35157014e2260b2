using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// One prompt as plain double arrays: <see cref="X"/> is row-major <c>[N, D]</c>, <see cref="Y"/> has
/// <c>N</c> entries. Row <c>i</c> is both the query of position <c>i</c> and, for later positions,
/// an in-context example.
/// </summary>
public sealed record Prompt(double[] X, double[] Y, int N, int D)
{
    public ReadOnlySpan<double> Row(int i) => X.AsSpan(i * D, D);

    /// <summary>Copies prompt <paramref name="p"/> of <c>[b, n, d]</c> xs and <c>[b, n]</c> ys held as flat arrays.</summary>
    public static Prompt Slice(double[] xs, double[] ys, int p, int n, int d) =>
        new(xs.AsSpan(p * n * d, n * d).ToArray(), ys.AsSpan(p * n, n).ToArray(), n, d);
}

/// <summary>
/// Base of the learners that fit one prompt at a time (Lasso, trees, boosting). It owns the
/// "predict position i from the first i pairs" loop once: xs and ys are copied to CPU doubles
/// once, prompts run in parallel on all cores, and each learner sees a whole prompt so it can
/// reuse work across prefixes (warm starts, presorting). Position 0 always predicts 0.
/// </summary>
public abstract class PerPromptLearner : Baseline
{
    /// <summary>
    /// All <c>N</c> predictions of one prompt: entry <c>i</c> may use rows <c>0..i-1</c> of X and Y
    /// and row <c>i</c> of X only. Entry 0 is ignored (the base class sets it to 0).
    /// Called concurrently for different prompts, so it must not mutate shared state.
    /// </summary>
    protected abstract double[] PredictPrompt(Prompt prompt);

    public sealed override Tensor Predict(Tensor xs, Tensor ys)
    {
        var (b, n, d) = CheckShapes(xs, ys);
        double[] x, y;
        using (NewDisposeScope())
        {
            x = xs.detach().to(CPU).to(float64).contiguous().data<double>().ToArray();
            y = ys.detach().to(CPU).to(float64).contiguous().data<double>().ToArray();
        }

        var predictions = new float[b * n];
        // One worker per core: long work items would otherwise make the thread pool inject
        // threads that then compete for the same cores.
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, b, options, p =>
        {
            var prompt = Prompt.Slice(x, y, p, n, d);
            var pred = PredictPrompt(prompt);
            if (pred.Length != n)
                throw new InvalidOperationException($"{Name} returned {pred.Length} predictions for {n} positions");
            for (int i = 1; i < n; i++)
                predictions[p * n + i] = (float)pred[i];
        });
        return tensor(predictions, new long[] { b, n }, float32).to(xs.device);
    }
}
