using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// One prompt as plain double arrays: <see cref="X"/> is row-major <c>[N, D]</c>, <see cref="Y"/> has
/// <c>N</c> entries, <see cref="Q"/> holds the query of each position (<c>[N, D]</c>; for plain
/// prompts the very array <see cref="X"/>, as row <c>i</c> is then both query and example).
/// </summary>
public sealed record Prompt(double[] X, double[] Y, double[] Q, int N, int D)
{
    /// <summary>Example <paramref name="i"/>'s x, <c>D</c> values.</summary>
    public ReadOnlySpan<double> Row(int i) => X.AsSpan(i * D, D);

    /// <summary>The point whose y position <c>i</c> predicts.</summary>
    public ReadOnlySpan<double> Query(int i) => Q.AsSpan(i * D, D);

    /// <summary>Copies prompt <paramref name="p"/> of <c>[b, n, d]</c> xs and queries and <c>[b, n]</c> ys held as flat arrays.</summary>
    public static Prompt Slice(double[] xs, double[] ys, double[] queries, int p, int n, int d)
    {
        var x = xs.AsSpan(p * n * d, n * d).ToArray();
        return new(x, ys.AsSpan(p * n, n).ToArray(), ReferenceEquals(xs, queries) ? x : queries.AsSpan(p * n * d, n * d).ToArray(), n, d);
    }
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
    /// and query <c>i</c> only. Entry 0 is ignored (the base class sets it to 0).
    /// Called concurrently for different prompts, so it must not mutate shared state.
    /// </summary>
    protected abstract double[] PredictPrompt(Prompt prompt);

    /// <summary>
    /// Entry <c>N-1</c> of <see cref="PredictPrompt"/> alone (N ≥ 2): learners that fit per prefix
    /// override it to fit the first N-1 pairs once.
    /// </summary>
    protected virtual double PredictLastOfPrompt(Prompt prompt) => PredictPrompt(prompt)[prompt.N - 1];

    /// <inheritdoc/>
    public sealed override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (_, n, _) = CheckShapes(xs, ys, queries);
        return PerPrompt(xs, ys, queries, n, prompt =>
        {
            var predictions = PredictPrompt(prompt);
            if (predictions.Length != n)
                throw new InvalidOperationException($"{Name} returned {predictions.Length} predictions for {n} positions");
            predictions[0] = 0;
            return predictions;
        });
    }

    /// <inheritdoc/>
    public sealed override Tensor PredictLast(Tensor xs, Tensor ys)
    {
        var (b, n, _) = CheckShapes(xs, ys, xs);
        using var last = PerPrompt(xs, ys, xs, 1, prompt => new[] { n == 1 ? 0 : PredictLastOfPrompt(prompt) });
        return last.reshape(b);
    }

    /// <summary>
    /// Runs <paramref name="predict"/> on every prompt, in parallel on all cores, and stacks its
    /// <paramref name="outputs"/> values per prompt into a <c>[b, outputs]</c> float32 tensor on the device of xs.
    /// </summary>
    Tensor PerPrompt(Tensor xs, Tensor ys, Tensor queries, int outputs, Func<Prompt, double[]> predict)
    {
        var (b, n, d) = CheckShapes(xs, ys, queries);
        double[] x, y, q;
        using (NewDisposeScope())
        {
            static double[] Values(Tensor t) => t.detach().to(CPU).to(float64).contiguous().data<double>().ToArray();
            x = Values(xs);
            y = Values(ys);
            q = ReferenceEquals(queries, xs) ? x : Values(queries);
        }

        var predictions = new float[b * outputs];
        // One worker per core: long work items would otherwise make the thread pool inject
        // threads that then compete for the same cores.
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, b, options, p =>
        {
            var values = predict(Prompt.Slice(x, y, q, p, n, d));
            for (int i = 0; i < outputs; i++)
                predictions[p * outputs + i] = (float)values[i];
        });
        return tensor(predictions, new long[] { b, outputs }, float32).to(xs.device);
    }
}
