using InContext.Baselines;
using InContext.Models;

namespace InContext.Findings;

/// <summary>
/// The paper's four findings (its Figure 2) and the rules that decide each at CPU scale, written
/// before the experiments' results were seen and kept whatever they showed. Errors are the
/// <c>standard</c> evaluation's, normalised as the paper does.
/// </summary>
public static class PaperFindings
{
    const string T = InContextTransformer.Id;

    /// <summary>The four findings, in the paper's order.</summary>
    public static readonly IReadOnlyList<Finding> All =
    [
        new("linear-functions", "On linear functions the transformer matches least squares (and beats 3-NN and averaging).",
        [
            new(T, Relation.Within, [LeastSquares.Id], ExamplesAt.HalfD, 0.1),
            new(T, Relation.Within, [LeastSquares.Id], ExamplesAt.D, 0.1),
            new(T, Relation.Within, [LeastSquares.Id], ExamplesAt.TwiceD, 0.1),
            new(T, Relation.Below, [NearestNeighbours.IdOf(3), Averaging.Id], ExamplesAt.D),
            new(T, Relation.Below, [NearestNeighbours.IdOf(3), Averaging.Id], ExamplesAt.TwiceD),
        ]),
        new("sparse-linear-functions", "On sparse linear functions the transformer tracks the Lasso and beats least squares below d examples.",
        [
            new(T, Relation.Below, [LeastSquares.Id], ExamplesAt.HalfD),
            new(T, Relation.AtMostAbove, Lasso.PaperAlphas.Select(Lasso.IdOf).ToList(), ExamplesAt.HalfD, 0.1),
            new(T, Relation.AtMostAbove, Lasso.PaperAlphas.Select(Lasso.IdOf).ToList(), ExamplesAt.D, 0.1),
        ]),
        new("decision-trees", "On decision trees the transformer beats greedy tree learning and boosted trees (XGBoost's method).",
        [
            new(T, Relation.Below, [GreedyTree.IdOfDepth(4), GreedyTree.Id, BoostedTrees.Id], ExamplesAt.Last),
        ]),
        new("relu-networks", "On 2-layer ReLU networks the transformer matches a network of that shape trained by gradient descent, and beats least squares.",
        [
            new(T, Relation.Within, [GradientDescentNet.Id], ExamplesAt.Last, 0.1),
            new(T, Relation.Below, [LeastSquares.Id], ExamplesAt.Last),
        ]),
    ];

    /// <summary>The finding named <paramref name="name"/>; an unknown name is a <see cref="ParameterException"/> of <c>only</c>.</summary>
    public static Finding Get(string name) =>
        All.FirstOrDefault(f => f.Name == name) ?? throw new ParameterException("only", $"{Printable.Escape(name)}: not one of the findings ({string.Join(", ", All.Select(f => f.Name))})");
}
