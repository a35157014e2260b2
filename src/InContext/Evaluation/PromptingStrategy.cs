using static TorchSharp.torch;

namespace InContext.Evaluation;

/// <summary>
/// How an evaluation's prompts are built. A strategy may replace the query at each
/// position: then position <c>i</c> is predicted from the first <c>i</c> in-context points and a
/// query point of its own, <c>queries[:, i]</c>. Returns null queries for plain prompts.
/// </summary>
public abstract class PromptingStrategy
{
    /// <summary>The strategy's name, as evaluation names and metrics.json use it (e.g. <c>random_quadrants</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Turns sampled xs <c>[b, n, d]</c> into (in-context xs, per-position queries or null).</summary>
    public abstract (Tensor xs, Tensor? queries) Build(Tensor xs, Generator generator);

    /// <summary>Plain prompts: each point is in turn the query.</summary>
    public static readonly PromptingStrategy Standard = new StandardPrompts();
    /// <summary>The examples lie in one random orthant, the query is a fresh Gaussian point.</summary>
    public static readonly PromptingStrategy RandomQuadrants = new RandomQuadrantPrompts();
    /// <summary>Each query orthogonal to every earlier example (below d examples; past d the query is 0).</summary>
    public static readonly PromptingStrategy OrthogonalTrainTest = new OrthogonalTrainTestPrompts();
    /// <summary>Each query is one of the earlier examples.</summary>
    public static readonly PromptingStrategy OverlappingTrainTest = new OverlappingTrainTestPrompts();

    /// <summary>The paper's four strategies, standard first.</summary>
    public static IReadOnlyList<PromptingStrategy> All { get; } = [Standard, RandomQuadrants, OrthogonalTrainTest, OverlappingTrainTest];
}

/// <summary>Plain prompts: every point is both an example and, in turn, the query.</summary>
sealed class StandardPrompts : PromptingStrategy
{
    public override string Name => "standard";
    public override (Tensor xs, Tensor? queries) Build(Tensor xs, Generator generator) => (xs, null);
}

/// <summary>
/// The in-context xs all lie in one random orthant (<c>|x| · s</c>, one sign vector <c>s</c> per
/// prompt); the query is the fresh Gaussian point.
/// </summary>
sealed class RandomQuadrantPrompts : PromptingStrategy
{
    public override string Name => "random_quadrants";

    public override (Tensor xs, Tensor? queries) Build(Tensor xs, Generator generator)
    {
        var pattern = randn(new long[] { xs.shape[0], 1, xs.shape[2] }, generator: generator).sign();
        return (xs.abs() * pattern, xs);
    }
}

/// <summary>
/// Each query is projected off the span of the earlier xs and rescaled to its original norm,
/// so it is orthogonal to every example (meaningful only below d examples; past d, as in the
/// paper, the query is 0).
/// </summary>
sealed class OrthogonalTrainTestPrompts : PromptingStrategy
{
    public override string Name => "orthogonal_train_test";

    public override (Tensor xs, Tensor? queries) Build(Tensor xs, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (b, n, d) = (xs.shape[0], xs.shape[1], xs.shape[2]);
        var queries = zeros_like(xs);
        for (var i = 0; i < Math.Min(n, d); i++)
        {
            var query = xs.narrow(1, i, 1);
            Tensor orthogonal = query;
            if (i > 0)
            {
                var (_, _, vt) = linalg.svd(xs.narrow(1, 0, i), fullMatrices: false); // vt: [b, i, d]
                orthogonal = query - query.matmul(vt.transpose(1, 2).matmul(vt));
            }
            queries.narrow(1, i, 1).copy_(orthogonal * query.norm(2, true) / orthogonal.norm(2, true));
        }
        return (xs.MoveToOuterDisposeScope(), queries.MoveToOuterDisposeScope());
    }
}

/// <summary>Each query is one of the earlier in-context xs, chosen uniformly.</summary>
sealed class OverlappingTrainTestPrompts : PromptingStrategy
{
    public override string Name => "overlapping_train_test";

    public override (Tensor xs, Tensor? queries) Build(Tensor xs, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (xs.shape[0], xs.shape[1]);
        var queries = xs.clone();
        for (var i = 1; i < n; i++)
        {
            var pick = randint(0, i, new long[] { b }, dtype: int64, generator: generator);
            var chosen = xs.gather(1, pick.view(b, 1, 1).expand(b, 1, xs.shape[2]));
            queries.narrow(1, i, 1).copy_(chosen);
        }
        return (xs.MoveToOuterDisposeScope(), queries.MoveToOuterDisposeScope());
    }
}
