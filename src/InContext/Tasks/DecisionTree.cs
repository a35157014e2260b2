using InContext.Baselines;
using InContext.Yaml;
using static TorchSharp.torch;

namespace InContext.Tasks;

/// <summary>
/// A complete binary tree of <c>depth</c>: inner node <c>i</c> tests one coordinate (uniform
/// in <c>[0, d)</c>) for <c>&gt; 0</c>; true goes right (child <c>2i+2</c>), false left
/// (<c>2i+1</c>); the leaf reached holds an <c>N(0,1)</c> value. As in the paper, node
/// arrays have <c>2^(depth+1) − 1</c> entries indexed by node number. Compared with greedy
/// tree learning and gradient boosting; its outputs have no scale.
/// </summary>
public sealed class DecisionTree(int nDims, int depth = DecisionTree.DefaultDepth) : FunctionClass(nDims)
{
    /// <summary>The paper's tree depth.</summary>
    public const int DefaultDepth = 4;

    /// <summary>The tree's depth (<c>depth</c>): how many coordinate tests lead from the root to a leaf.</summary>
    public int Depth { get; } = depth;
    /// <inheritdoc/>
    public override string Name => "decision_tree";

    /// <summary>Builds the class from its <c>task_kwargs</c> (<c>depth</c>, 1 to 20).</summary>
    public static DecisionTree FromKwargs(Section k, int nDims)
    {
        var depth = k.Int("depth", DefaultDepth);
        if (depth < 1 || depth > 20) throw k.Error("depth", $"must be between 1 and 20, found {depth}");
        return new DecisionTree(nDims, depth);
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Kwargs => new Dictionary<string, object> { ["depth"] = Depth };

    /// <summary>Draws each node's coordinate <c>coords</c> and value <c>values</c>, <c>[count, 2^(depth+1) − 1]</c> (only the leaves' values are used).</summary>
    public override FunctionBatch SampleFunctions(int count, Generator generator, int activeDims)
    {
        var nodes = (1L << (Depth + 1)) - 1;
        var b = new FunctionBatch();
        b.Parameters["coords"] = randint(0, NDims, new long[] { count, nodes }, dtype: int64, generator: generator);
        b.Parameters["values"] = randn(new long[] { count, nodes }, generator: generator);
        return b;
    }

    /// <inheritdoc/>
    public override Tensor Evaluate(FunctionBatch functions, Tensor xs, Generator generator)
    {
        using var scope = NewDisposeScope();
        var coords = functions["coords"].to(xs.device);
        var positive = xs.gt(0).to_type(int64);
        var node = zeros(xs.shape[0], xs.shape[1], dtype: int64, device: xs.device);
        for (var level = 0; level < Depth; level++)
        {
            var coordinate = coords.gather(1, node);                                     // [b, n]
            var decision = positive.gather(2, coordinate.unsqueeze(-1)).squeeze(-1);     // 1 = go right
            node = 2 * node + 1 + decision;
        }
        return functions["values"].to(xs.device).gather(1, node).MoveToOuterDisposeScope();
    }

    /// <summary>The leaves are N(0, 1): predicting 0 errs by 1 whatever the dims.</summary>
    public override double ErrorNormaliser(int activeDims) => 1;
    /// <inheritdoc/>
    public override double? OutputStd(int activeDims) => 1;

    /// <summary>Least squares, 3-NN and averaging, plus greedy trees (depth 4 and unlimited) and gradient-boosted trees.</summary>
    public override IEnumerable<IPredictor> Baselines() =>
        base.Baselines().Concat([new GreedyTree(4), new GreedyTree(null), new BoostedTrees()]);
}
