using System.Xml.Linq;
using InContext.Evaluation;
using InContext.Reports;
using Xunit;

namespace InContext.Tests.Reports;

public class FigureTests
{
    /// <summary>A palette colour counts as drawn when this many pixels carry it: a line across the plot has hundreds.</summary>
    const int DrawnPixels = 100;

    static List<ScottPlot.Color> DrawnPaletteColours(string png)
    {
        using var image = Pixels.DecodePng(png);
        var pixels = image.Pixels;
        return ModelPalette.All.Where(c => Pixels.Count(pixels, c) >= DrawnPixels).ToList();
    }

    [Fact]
    public void Evaluation_figures_are_pngs_of_the_asked_size_with_one_line_colour_per_model()
    {
        using var run = new SyntheticRun();
        var outDir = Path.Combine(run.Dir, "plots");
        var files = Figures.WriteAll(run.MetricsPath, run.TrainLogPath, run.Settings, outDir, width: 640, height: 400);

        Assert.Equal(SyntheticRun.Evaluations.Select(e => Path.Combine(outDir, e + ".png")).Append(Path.Combine(outDir, "training_curve.png")), files);
        foreach (var file in files)
        {
            using var image = Pixels.DecodePng(file);
            Assert.Equal((640, 400), (image.Width, image.Height));
            Assert.True(Pixels.Variance(image, 0.15, 0.15, 0.85, 0.85) > 100, $"{file} looks blank inside the plot area");
        }
        foreach (var file in files.SkipLast(1))
            Assert.Equal(SyntheticRun.OurModels.Select(ModelPalette.For).ToHashSet(), DrawnPaletteColours(file).ToHashSet());
    }

    [Fact]
    public void Relative_to_zero_figures_leave_out_evaluations_without_the_zero_learner_and_none_at_all_is_one_line()
    {
        using var run = new SyntheticRun();
        var relative = run.Settings.WithRelativeToZero();
        var none = Path.Combine(run.Dir, "none");
        var e = Assert.Throws<ReportInputException>(() => Figures.WriteAll(run.MetricsPath, null, relative, none));
        Assert.Contains("'zero' learner", e.Message);
        Assert.False(Directory.Exists(none));   // refused before anything is written

        run.AddZeroTo("standard");
        var outDir = Path.Combine(run.Dir, "plots");
        Assert.Equal(new[] { Path.Combine(outDir, "standard.png") }, Figures.WriteAll(run.MetricsPath, null, relative, outDir));
    }

    [Fact]
    public void Svg_figures_are_xml_of_the_asked_size()
    {
        using var run = new SyntheticRun();
        var files = Figures.WriteAll(run.MetricsPath, run.TrainLogPath, run.Settings, Path.Combine(run.Dir, "plots"), format: "svg", width: 700, height: 450);

        Assert.Equal(3, files.Count);
        foreach (var file in files)
        {
            Assert.EndsWith(".svg", file);
            var svg = XDocument.Load(file).Root!;
            Assert.Equal("svg", svg.Name.LocalName);
            Assert.Equal(("700", "450"), ((string?)svg.Attribute("width"), (string?)svg.Attribute("height")));
            Assert.True(svg.Descendants().Count() > 50, $"{file} draws next to nothing");
        }
        // The legend's text is in the SVG as text, with the display names.
        Assert.Contains("Least Squares", File.ReadAllText(files[0]));
    }

    [Fact]
    public void The_papers_own_model_ids_plot_in_the_colours_of_our_same_models()
    {
        using var run = new SyntheticRun(models: SyntheticRun.PaperModels);
        var files = Figures.WriteAll(run.MetricsPath, null, run.Settings, Path.Combine(run.Dir, "plots"));

        Assert.Equal(SyntheticRun.Evaluations.Length, files.Count);
        Assert.Equal(SyntheticRun.OurModels.Select(ModelPalette.For).ToHashSet(), DrawnPaletteColours(files[0]).ToHashSet());
    }

    [Theory]
    [InlineData("gpt2_embd=256_layer=12_head=8", "transformer")]
    [InlineData("OLS_driver=None", "least_squares")]
    [InlineData("NN_n=3_uniform", "knn_3")]
    [InlineData("lasso_alpha=0.0001_max_iter=100000", "lasso_0.0001")]
    [InlineData("lasso_alpha=1_max_iter=100000", "lasso_1")]
    [InlineData("decision_tree_max_depth=4", "tree_depth_4")]
    [InlineData("decision_tree_max_depth=None", "tree")]
    [InlineData("xgboost", "boosted_trees")]
    [InlineData("gd_model_opt=adam_lr=0.005_batch=100_iters=5000_NeuralNetwork", "nn_gd")]
    [InlineData("NN_n=3_distance", null)]
    [InlineData("something", null)]
    public void The_papers_model_names_map_to_ours(string paperName, string? ours) =>
        Assert.Equal(ours, PaperModelIds.OurId(paperName));

    [Fact]
    public void A_model_filter_keeps_only_the_asked_models_and_skips_evaluations_without_them()
    {
        using var run = new SyntheticRun();
        string[] models = { LeastSquares.Id, "not_a_model" };
        var files = Figures.WriteAll(run.MetricsPath, null, run.Settings, Path.Combine(run.Dir, "plots"), models);
        Assert.Equal(new[] { ModelPalette.For(LeastSquares.Id) }, DrawnPaletteColours(files[0]));

        var none = Figures.WriteAll(run.MetricsPath, null, run.Settings, Path.Combine(run.Dir, "none"), new[] { "not_a_model" });
        Assert.Empty(none);
    }

    [Fact]
    public void Every_known_model_has_its_own_colour_and_unknown_ids_never_take_one()
    {
        string[] known =
        {
            InContext.Models.InContextTransformer.Id, LeastSquares.Id, Averaging.Id, GradientDescentNet.Id,
            GreedyTree.IdOfDepth(4), GreedyTree.Id, BoostedTrees.Id, NearestNeighbours.IdOf(3),
        };
        var colours = known.Concat(Lasso.PaperAlphas.Select(Lasso.IdOf)).Select(ModelPalette.For).ToList();
        Assert.Equal(colours.Count, colours.Distinct().Count());
        foreach (var id in new[] { "knn_5", "lasso_0.5", "NN_n=3_distance", "something else" })
            Assert.DoesNotContain(ModelPalette.For(id), colours);
        Assert.DoesNotContain(ErrorFigure.TrivialColor, ModelPalette.All);
    }

    [Theory]
    [InlineData("linear_regression", 20, null, 20, 41)]
    [InlineData("noisy_linear_regression", 10, null, 10, 21)]
    [InlineData("sparse_linear_regression", 20, null, 3, 41)]
    [InlineData("sparse_linear_regression", 20, 5, 5, 41)]
    [InlineData("decision_tree", 20, null, 1, 100)]
    [InlineData("relu_2nn_regression", 20, null, 20, 100)]
    [InlineData("linear_classification", 20, null, 1, 41)]
    public void Normaliser_and_x_range_follow_the_papers_plots(string task, int d, int? sparsity, double normaliser, int positions)
    {
        var kwargs = new Dictionary<string, object?>();
        if (sparsity is { } s) kwargs["sparsity"] = s;
        var settings = PlotSettings.For(TaskRegistry.Create(task, kwargs, d), d, "r");
        Assert.Equal((normaliser, positions), (settings.Normaliser, settings.MaxPositions));

        var stats = new PositionStats(Enumerable.Repeat(6.0, 150).ToArray(), new double[150], new double[150], new double[150]);
        var curve = ErrorCurve.From("m", stats, settings);
        Assert.Equal(positions, curve.Mean.Length);
        Assert.All(curve.Mean, v => Assert.Equal(6.0 / normaliser, v));
        // Shorter data is shown as far as it goes.
        Assert.Equal(7, ErrorCurve.From("m", stats with { Mean = new double[7] }, settings).Mean.Length);
    }

    [Fact]
    public void Degenerate_curves_plot_or_are_skipped_without_error()
    {
        using var run = new SyntheticRun();
        var one = new PositionStats(new[] { 5.0 }, new[] { 0.0 }, new[] { 4.0 }, new[] { 6.0 });
        var empty = new PositionStats([], [], [], []);
        var huge = new PositionStats(Enumerable.Repeat(1e6, 11).ToArray(), new double[11], Enumerable.Repeat(1e5, 11).ToArray(), Enumerable.Repeat(1e7, 11).ToArray());
        var evaluation = new Dictionary<string, PositionStats> { ["one"] = one, ["empty"] = empty, ["huge"] = huge };

        Assert.Equal(new[] { "one", "huge" }, ErrorCurve.ForEvaluation(evaluation, run.Settings).Select(c => c.ModelId));
        var path = Path.Combine(run.Dir, "odd.png");
        Assert.True(Figures.WriteEvaluation("odd", evaluation, run.Settings, path));
        using var image = Pixels.DecodePng(path);
        Assert.False(Figures.WriteEvaluation("empty", new Dictionary<string, PositionStats> { ["empty"] = empty }, run.Settings, path + "2"));
    }
}
