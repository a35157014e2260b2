using System.Text.Json;
using Xunit;

namespace InContext.Tests.Probing;

/// <summary>Queries with their true outputs are scored, and tables can show every number of examples.</summary>
public class ScoredQueriesTests
{
    [Fact]
    public void Predict_scores_each_model_on_queries_that_carry_y()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "c.csv"), "x1,x2,y\n1,0,2\n0,1,-1\n1,1,1\n2,1,3\n");
        File.WriteAllText(Path.Combine(dir, "q.csv"), "x1,x2,y\n3,1,5\n1,2,1\n");
        var (code, stdout, stderr) = Cli.RunIn(dir, ["predict", "--context", "c.csv", "--query", "q.csv", "--models", "least_squares,averaging", "--format", "json"]);
        Assert.True(code == 0, stderr);
        var scores = JsonDocument.Parse(stdout).RootElement.GetProperty("scores");
        // y = 2·x1 − x2 exactly: least squares predicts 5 and 0, so its squared error is (0 + 1) / 2
        Assert.Equal(0.5, scores.GetProperty("least_squares").GetDouble(), 6);
        Assert.True(scores.GetProperty("averaging").GetDouble() > 1);
        Assert.Contains("squared error on the 2 queries' y (lower is better): least_squares 0.5", stderr);
    }

    [Fact]
    public void Eval_shows_every_number_of_examples_when_asked()
    {
        var dir = TestPaths.TempDir();
        var (code, stdout, stderr) = Cli.RunIn(dir, ["eval", "--task", "linear_regression", "--n-dims", "3", "--points", "9", "--examples", "32", "--models", "least_squares", "--strategies", "standard", "--k", "all"]);
        Assert.True(code == 0, stderr);
        var header = stdout.Split('\n').First(l => l.Contains("model"));
        Assert.Equal(Enumerable.Range(0, 9).Select(k => k.ToString()), header.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1));
    }
}
