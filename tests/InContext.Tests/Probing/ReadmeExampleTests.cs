using InContext.Probing;
using InContext.Storage;
using Xunit;

namespace InContext.Tests.Probing;

/// <summary>The README's <see cref="InContextRegressor"/> example, run as written, and kept the README's to the line.</summary>
public class ReadmeExampleTests
{
    const string Begin = "// README's InContextRegressor example: from here", End = "// to here";

    [Fact]
    public void The_readmes_regressor_example_runs_as_written()
    {
        var run = new RunFolder(ProbingRun.Dir);   // the README's run folder is the one its previous block trained
        // README's InContextRegressor example: from here
        // y = 2 x1 − x2 + 0.5 x3: six pairs in 3 of the model's dims (the others are zero-padded, as in training)
        double[,] x = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 1, 1, 0 }, { 0, 1, 1 }, { 1, 0, 1 } };
        double[] y = [2, -1, 0.5, 1, -0.5, 2.5];
        double[,] queries = { { 1, 2, 3 }, { -1, 0, 1 } };                     // their outputs: 1.5 and -1.5
        using var transformer = InContextRegressor.FromRun(run.Path);
        using var leastSquares = InContextRegressor.Baseline("least_squares");
        double[] byTransformer = transformer.Fit(x, y).Predict(queries);
        double[] byLeastSquares = leastSquares.Fit(x, y).Predict(queries);      // 1.5 and -1.5: 6 pairs fix 3 weights
        transformer.Permutations = 8;                                            // the mean over 8 orders of the context,
        ContextPredictions spread = transformer.PredictWithSpread(queries);     // and their standard deviation (.Std)
        // to here

        Assert.Equal([1.5, -1.5], byLeastSquares.Select(v => Math.Round(v, 4)));
        Assert.Equal(2, byTransformer.Length);
        Assert.All(byTransformer.Concat(spread.Mean), v => Assert.True(double.IsFinite(v)));
        Assert.Contains(spread.Std, s => s > 0);   // the barely trained test model depends on the order of its context

        // The lines above are the README's block, line for line.
        var source = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "tests", "InContext.Tests", "Probing", "ReadmeExampleTests.cs"))
            .Select(l => l.Trim()).ToList();
        var here = source.SkipWhile(l => l != Begin).Skip(1).TakeWhile(l => l != End).ToList();
        var readme = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var block = readme.SkipWhile(l => !l.Contains("`Fit` stores the context, nothing is trained")).SkipWhile(l => l != "```csharp").Skip(1)
            .TakeWhile(l => l != "```").Select(l => l.Trim()).ToList();
        Assert.Equal(block, here);
    }
}
