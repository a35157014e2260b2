using InContext.Probing;
using Xunit;

namespace InContext.Tests.Probing;

/// <summary>Bad CSV input: one line naming the file, the row and the column, and what was expected.</summary>
public class ContextCsvTests
{
    static string Write(string text, string name = "context.csv")
    {
        var path = Path.Combine(TestPaths.TempDir(), name);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("x1,x2\n1,2\n", "line 1 (header): missing column 'y' (expected x1,...,xd,y; found x1,x2)")]
    [InlineData("x1,x2,y,z\n1,2,3,4\n", "line 1 (header), column 4 'z': unexpected column after 'y' (expected x1,...,xd,y)")]
    [InlineData("x1,x3,y\n1,2,3\n", "line 1 (header), column 2: expected 'x2', found 'x3' (expected x1,...,xd,y)")]
    [InlineData("x1,x2,y\n1,2,3\n1,2\n", "row 2 (line 3): missing column 3 'y' (expected 3 values: x1,x2,y)")]
    [InlineData("x1,x2,y\n1,2,3,4\n", "row 1 (line 2), column 4: extra value '4' (expected 3 values: x1,x2,y)")]
    [InlineData("x1,x2,y\n1,2,3\n\n1,two,3\n", "row 2 (line 4), column 2 'x2': expected a finite number, found 'two'")]
    [InlineData("x1,x2,y\n1,NaN,3\n", "row 1 (line 2), column 2 'x2': expected a finite number, found 'NaN'")]
    [InlineData("x1,x2,y\n1,2,-Infinity\n", "row 1 (line 2), column 3 'y': expected a finite number, found '-Infinity'")]
    [InlineData("x1,x2,y\n1,1e39,3\n", "row 1 (line 2), column 2 'x2': expected a number within ±3.4e38 (the model's float32), found '1e39'")]
    [InlineData("x1,x2,y\n1,,3\n", "row 1 (line 2), column 2 'x2': expected a finite number, found ''")]
    [InlineData("x1,x2,y\n", "no data rows: the context needs at least one (x, y) pair")]
    [InlineData("", "line 1: expected a header (x1,...,xd,y for a context, x1,...,xd for queries), found an empty line")]
    [InlineData("x1,x2,x3,x4,x5,y\n1,2,3,4,5,6\n", "line 1 (header): 5 input columns x1..x5; the model takes at most n_dims = 4")]
    [InlineData("x1,y\n1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n7,7\n8,8\n9,9\n", "row 9 (line 10): 9 context rows; the model reads at most n_positions − 1 = 8 pairs before a query")]
    public void A_bad_context_is_refused_in_one_line(string text, string says)
    {
        var path = Write(text);
        var e = Assert.ThrowsAny<InputException>(() => ContextCsv.ReadContext(path, maxDims: 4, maxRows: 8));
        Assert.Equal($"{path}: {says}", e.Message);
    }

    [Theory]
    [InlineData("x1\n1\n", "line 1 (header): missing column 'x2' (expected x1,...,x2[,y], as the context)")]
    [InlineData("x1,x2,x3\n1,2,3\n", "line 1 (header), column 3 'x3': unexpected (expected x1,...,x2[,y], as the context)")]
    [InlineData("x1,y,x2\n1,2,3\n", "line 1 (header), column 3 'x2': unexpected column after 'y' (expected x1,...,x2[,y], as the context)")]
    [InlineData("x1,x2,y\n1,2\n", "row 1 (line 2): missing column 3 'y' (expected 3 values: x1,x2,y)")]
    [InlineData("x1,x2\n", "no data rows: expected at least one query")]
    [InlineData("x1,x2\n1,2\n3,4,5\n", "row 2 (line 3), column 3: extra value '5' (expected 2 values: x1,x2)")]
    public void Bad_queries_are_refused_in_one_line(string text, string says)
    {
        var path = Write(text, "query.csv");
        Assert.Equal($"{path}: {says}", Assert.ThrowsAny<InputException>(() => ContextCsv.ReadQueries(path, 2)).Message);
    }

    [Fact]
    public void A_good_context_reads_with_spaces_blank_lines_and_any_case()
    {
        var path = Write("X1, x2 ,Y\r\n1.5, -2e-1, 3\r\n\r\n  4,5,6  \r\n");
        var rows = ContextCsv.ReadContext(path);
        Assert.Equal(2, rows.Rows);
        Assert.Equal(2, rows.Dims);
        Assert.Equal(new[] { 1.5, -0.2, 4, 5 }, rows.X.Cast<double>());
        Assert.Equal(new[] { 3.0, 6 }, rows.Y);
        Assert.Equal(new[] { 2, 4 }, rows.Lines);
    }

    [Fact]
    public void Cli_bad_input_exits_2_with_one_line_naming_file_row_and_column()
    {
        var context = Write("x1,x2,y\n1,2,3\n1,NaN,3\n");
        var query = Write("x1,x2\n1,2\n", "query.csv");
        var (code, stdout, stderr) = Cli.Run("predict", ProbingRun.Dir, "--context", context, "--query", query);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"error: {context}: row 2 (line 3), column 2 'x2': expected a finite number, found 'NaN'\n", stderr);

        var wide = Write("x1,x2,x3,x4,x5,y\n1,2,3,4,5,6\n");
        (code, _, stderr) = Cli.Run("predict", ProbingRun.Dir, "--context", wide, "--query", query);
        Assert.Equal(2, code);
        Assert.Equal($"error: {wide}: line 1 (header): 5 input columns x1..x5; the model takes at most n_dims = 4\n", stderr);
    }
}
