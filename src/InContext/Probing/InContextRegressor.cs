using InContext.Baselines;
using InContext.Evaluation;
using InContext.Config;
using InContext.Interop;
using static TorchSharp.torch;
using InContext.Storage;

namespace InContext.Probing;

/// <summary>Predictions for a set of queries: the mean over context orders and its spread (std; 0 for one order).</summary>
public sealed record ContextPredictions(double[] Mean, double[] Std);

/// <summary>
/// A trained in-context learner (or any baseline) as a scikit-learn-style regressor:
/// <see cref="Fit(double[,], double[])"/> stores the context (nothing is trained: the model learns
/// from the prompt), <see cref="Predict(double[,])"/> predicts each query from that context.
/// Inputs with fewer columns than the model's n_dims are zero-padded, as the curriculum does.
/// <code>
/// using var model = InContextRegressor.FromRun("runs/quickstart");
/// model.Fit(x, y);                       // x: double[k, d], y: double[k]
/// double[] predictions = model.Predict(queries);   // queries: double[q, d]
/// </code>
/// </summary>
public sealed class InContextRegressor : IDisposable
{
    readonly bool _ownsModel;
    Tensor? _x, _y;

    /// <param name="model">The learner: a run's transformer or a baseline.</param>
    /// <param name="training">
    /// What the run's model was trained on: its limits (n_dims, n_positions − 1 pairs), the padding
    /// and the scale <see cref="Standardize"/> aims at. Null for a baseline on its own: no limits.
    /// </param>
    /// <param name="ownsModel">Whether <see cref="Dispose"/> disposes <paramref name="model"/>.</param>
    public InContextRegressor(IPredictor model, TrainingDistribution? training = null, bool ownsModel = false)
    {
        Model = model;
        Training = training;
        _ownsModel = ownsModel;
    }

    /// <summary>The transformer of a run folder (its <c>state.pt</c>, or <c>model_&lt;step&gt;.pt</c>).</summary>
    public static InContextRegressor FromRun(string runDir, Device? device = null, int? step = null)
    {
        var run = new RunFolder(runDir);
        var training = TrainingDistribution.Of(run.LoadConfig());
        return new InContextRegressor(run.LoadModel(device, step), training, ownsModel: true);
    }

    /// <summary>A baseline by its metrics.json id (<c>least_squares</c>, <c>knn_3</c>, <c>lasso_0.01</c>, ...).</summary>
    public static InContextRegressor Baseline(string id, TrainingDistribution? training = null) => new(Learners.Create(id), training);

    /// <summary>The predictor asked: the run's transformer or a baseline.</summary>
    public IPredictor Model { get; }
    /// <summary>What the run's model was trained on; null when not given (a baseline made without it).</summary>
    public TrainingDistribution? Training { get; }

    /// <summary>
    /// Rescale inputs and outputs to the training distribution before predicting, and the
    /// predictions back (<see cref="Probing.Standardization"/>, from the stored context). Needs
    /// <see cref="Training"/>: a regressor made from a run has it.
    /// </summary>
    public bool Standardize
    {
        get => _standardize;
        set => _standardize = !value || Training is not null ? value
            : throw new InvalidOperationException("Standardize needs the training distribution: make the regressor from a run (or give it a TrainingDistribution)");
    }
    bool _standardize;

    /// <summary>
    /// Average over this many orders of the context: the given order, then random ones drawn
    /// from <see cref="Seed"/>. One (the default) predicts from the given order alone.
    /// </summary>
    public int Permutations
    {
        get => _permutations;
        set => _permutations = value is >= 1 and <= MaxPermutations ? value
            : throw new ArgumentOutOfRangeException(nameof(Permutations), value, $"must be from 1 to {MaxPermutations}");
    }

    /// <summary>
    /// The most orders <see cref="Permutations"/> takes: the mean over K random orders is off the mean
    /// over all of them by about their spread / √K, 3% of it at 1000, so more buy nothing but time
    /// and memory (each order is one more prompt per query, and the orders are drawn all at once).
    /// </summary>
    public const int MaxPermutations = 1000;
    int _permutations = 1;

    /// <summary>Seed of the random context orders.</summary>
    public long Seed { get; set; }

    /// <summary>The factors <see cref="Standardize"/> applies to the stored context and its queries; null when it is off or before Fit.</summary>
    public Standardization? Standardization =>
        Standardize && _x is not null && _y is not null ? Standardization.Fit(_x, _y, Training!.OutputStd(Dims)) : null;

    /// <summary>Pairs in the stored context.</summary>
    public int ContextSize => (int)(_x?.shape[0] ?? 0);

    /// <summary>Input columns of the stored context.</summary>
    public int Dims => (int)(_x?.shape[1] ?? 0);

    /// <summary>Stores the context: <paramref name="x"/> <c>[k, d]</c>, <paramref name="y"/> <c>[k]</c>.</summary>
    public InContextRegressor Fit(double[,] x, double[] y)
    {
        using var xs = Matrix(x);
        using var ys = tensor(y, float64);
        return Fit(xs, ys);
    }

    /// <summary>Stores the context: <paramref name="x"/> <c>[k, d]</c>, <paramref name="y"/> <c>[k]</c> (copied).</summary>
    public InContextRegressor Fit(Tensor x, Tensor y)
    {
        if (x.dim() != 2 || y.dim() != 1 || x.shape[0] != y.shape[0])
            throw new ArgumentException($"expected x [k, d] and y [k], got [{string.Join(", ", x.shape)}] and [{string.Join(", ", y.shape)}]");
        var (k, d) = ((int)x.shape[0], (int)x.shape[1]);
        if (k == 0) throw new ArgumentException("the context is empty: give at least one (x, y) pair");
        if (d == 0) throw new ArgumentException("x has no columns");
        if (Training is { } t && d > t.NDims) throw new ArgumentException($"x has {d} columns; the model takes at most n_dims = {t.NDims}");
        if (Training is { } t2 && k > t2.MaxContext)
            throw new ArgumentException($"the context has {k} pairs; the model reads at most n_positions − 1 = {t2.MaxContext} before a query");
        CheckFinite(x, "x");
        CheckFinite(y, "y");
        _x?.Dispose(); _y?.Dispose();
        // The scope holds the temporaries while the copies are made; the copies are this object's to dispose.
        using (NewDisposeScope())
        {
            _x = x.detach().to(float64).cpu().clone().DetachFromDisposeScope();
            _y = y.detach().to(float64).cpu().clone().DetachFromDisposeScope();
        }
        return this;
    }

    /// <summary>Predictions for <paramref name="queries"/> <c>[q, d]</c> (the mean over context orders).</summary>
    public double[] Predict(double[,] queries) => PredictWithSpread(queries).Mean;

    /// <summary>Predictions <c>[q]</c> (float64) for <paramref name="queries"/> <c>[q, d]</c>.</summary>
    public Tensor Predict(Tensor queries)
    {
        var (mean, std) = Run(queries);
        std.Dispose();
        return mean;
    }

    /// <summary>Predictions with their spread over the <see cref="Permutations"/> orders of the context.</summary>
    public ContextPredictions PredictWithSpread(double[,] queries)
    {
        using var q = Matrix(queries);
        return PredictWithSpread(q);
    }

    /// <summary>Predictions with their spread over the <see cref="Permutations"/> orders of the context.</summary>
    public ContextPredictions PredictWithSpread(Tensor queries)
    {
        var (mean, std) = Run(queries);
        using (mean) using (std)
            return new ContextPredictions(mean.data<double>().ToArray(), std.data<double>().ToArray());
    }

    (Tensor mean, Tensor std) Run(Tensor queries)
    {
        if (_x is null || _y is null) throw new InvalidOperationException("call Fit(context) before Predict");
        if (queries.dim() != 2 || queries.shape[1] != _x.shape[1])
            throw new ArgumentException($"expected queries [q, {_x.shape[1]}] (the context's columns), got [{string.Join(", ", queries.shape)}]");
        CheckFinite(queries, "queries");
        using var scope = NewDisposeScope();
        var standardization = Standardization;
        var (x, y, q) = standardization is { } s ? (s.X(_x), s.Y(_y), s.X(queries)) : (_x, _y, queries.to(float64).cpu());
        var pad = (Training?.NDims ?? Dims) - Dims;
        if (pad > 0) { x = nn.functional.pad(x, [0, pad]); q = nn.functional.pad(q, [0, pad]); }
        var orders = Orders();
        var predictions = ContextPrediction.PredictPerContext(Model,
            x.index_select(0, orders.view(-1)).view(orders.shape[0], orders.shape[1], -1).to(float32),
            y.index_select(0, orders.view(-1)).view(orders.shape).to(float32),
            q.to(float32)).to(float64);                                               // [orders, q]
        if (standardization is { } back) predictions = back.BackY(predictions);
        var mean = predictions.mean(new long[] { 0 });
        var std = orders.shape[0] > 1 ? predictions.std(0, unbiased: true) : zeros_like(mean);
        return (mean.MoveToOuterDisposeScope(), std.MoveToOuterDisposeScope());
    }

    /// <summary><c>[Permutations, k]</c>: the given order, then seeded random orders.</summary>
    Tensor Orders()
    {
        using var g = new Generator((ulong)Seed);
        var k = ContextSize;
        return stack(Enumerable.Range(0, Permutations).Select(i => i == 0 ? arange(k, dtype: int64) : randperm(k, generator: g)).ToArray());
    }

    static Tensor Matrix(double[,] values) => tensor(values.Cast<double>().ToArray(), new long[] { values.GetLength(0), values.GetLength(1) }, float64);

    static void CheckFinite(Tensor t, string name)
    {
        using var scope = NewDisposeScope();   // holds isfinite's result while all() reads it
        if (!t.isfinite().all().item<bool>()) throw new ArgumentException($"{name} holds NaN or infinity");
    }

    /// <summary>Disposes the stored context, and the model when this regressor loaded it.</summary>
    public void Dispose()
    {
        _x?.Dispose(); _y?.Dispose();
        if (_ownsModel && Model is IDisposable d) d.Dispose();
    }
}
