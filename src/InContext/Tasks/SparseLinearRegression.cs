using InContext.Baselines;
using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// Linear regression whose <c>w</c> keeps only <c>sparsity</c> coordinates, chosen uniformly
/// among the first <c>valid_coords</c> (by default the curriculum's current dims). Compared with
/// the Lasso at the paper's five strengths.
/// </summary>
public sealed class SparseLinearRegression(int nDims, int sparsity = SparseLinearRegression.DefaultSparsity, int? validCoords = null, double scale = 1)
    : LinearFamily(nDims, scale)
{
    /// <summary>The paper's sparsity.</summary>
    public const int DefaultSparsity = 3;

    /// <summary>How many coordinates of w are non-zero (<c>sparsity</c>).</summary>
    public int Sparsity { get; } = sparsity;
    /// <summary>Among how many leading coordinates the non-zero ones are chosen (<c>valid_coords</c>); null: the curriculum's current dims.</summary>
    public int? ValidCoords { get; } = validCoords;
    /// <inheritdoc/>
    public override string Name => "sparse_linear_regression";

    /// <summary>Builds the class from its <c>task_kwargs</c> (<c>sparsity</c>, <c>valid_coords</c>, <c>scale</c>).</summary>
    public static SparseLinearRegression FromKwargs(Section k, int nDims)
    {
        var sparsity = k.Int("sparsity", DefaultSparsity);
        if (sparsity < 1 || sparsity > nDims) throw k.Error("sparsity", $"must be between 1 and n_dims ({nDims}), found {sparsity}");
        var valid = k.IntOrNull("valid_coords");
        if (valid is { } v && (v < sparsity || v > nDims)) throw k.Error("valid_coords", $"must be between sparsity ({sparsity}) and n_dims ({nDims}), found {v}");
        return new SparseLinearRegression(nDims, sparsity, valid, ReadScale(k));
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Kwargs
    {
        get
        {
            var k = new Dictionary<string, object>(base.Kwargs) { ["sparsity"] = Sparsity };
            if (ValidCoords is { } v) k["valid_coords"] = v;
            return k;
        }
    }

    /// <summary>Draws w as linear regression does, then keeps <see cref="Sparsity"/> coordinates per prompt, chosen uniformly among the valid ones.</summary>
    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims)
    {
        var batch = base.SampleFunctions(count, generator, activeDims);
        var valid = Math.Min(ValidCoords ?? activeDims, NDims);
        var keep = Math.Min(Sparsity, valid);
        // A uniform random subset per prompt: the first `keep` of a random order of the valid coords.
        // The scope holds each temporary through the native call that reads it (TorchSharp keeps
        // no reference during the call) and frees them after; the sparse w is moved out.
        using (NewDisposeScope())
        {
            var chosen = rand(new long[] { count, valid }, generator: generator).argsort(1).narrow(1, 0, keep);
            var mask = zeros(count, NDims).scatter_(1, chosen, ones(count, keep));
            var w = batch["w"];
            batch.Parameters["w"] = (w * mask.unsqueeze(-1)).MoveToOuterDisposeScope();
            w.Dispose();
        }
        return batch;
    }

    /// <inheritdoc/>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator) => Linear(functions, xs);

    /// <summary>Its outputs are <c>x · (scale · w)</c>, w sparse.</summary>
    public override bool IsLinear => true;

    /// <summary>None: w keeps a few Gaussian coordinates and zeroes the rest, so no Gaussian prior (and no ridge) is Bayes-optimal for it.</summary>
    public override double? WeightVariance => null;

    /// <summary>Predicting 0 errs by the number of weights that count: the sparsity (at most the active dims).</summary>
    public override double ErrorNormaliser(int activeDims) => Math.Min(Sparsity, activeDims);

    /// <inheritdoc/>
    public override double? OutputStd(int activeDims) => Scale * Math.Sqrt(Math.Min(Sparsity, activeDims));

    /// <summary>Least squares, 3-NN and averaging, plus the Lasso at each of <see cref="Lasso.PaperAlphas"/>.</summary>
    public override IEnumerable<IPredictor> Baselines() => base.Baselines().Concat(Lasso.PaperAlphas.Select(a => new Lasso(a)));

    /// <inheritdoc/>
    public override FunctionClass WithScale(double scale) => new SparseLinearRegression(NDims, Sparsity, ValidCoords, scale);
}
