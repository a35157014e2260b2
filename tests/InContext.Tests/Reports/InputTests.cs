using InContext.Training;
using InContext.Reports;
using Xunit;

namespace InContext.Tests.Reports;

public class InputTests
{
    [Fact]
    public void A_run_without_metrics_says_to_evaluate_it_first()
    {
        using var run = new SyntheticRun();
        File.Delete(run.MetricsPath);

        var figures = Assert.ThrowsAny<InputException>(() => Figures.WriteAll(run.MetricsPath, run.TrainLogPath, run.Settings, run.Dir));
        var report = Assert.ThrowsAny<InputException>(() =>
            HtmlReport.Write(new[] { ReportRun.InFolder(run.Dir, run.Settings, []) }, Path.Combine(run.Dir, "report.html")));
        foreach (var e in new[] { figures, report })
        {
            Assert.Contains("not found; evaluate the run first", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.False(File.Exists(Path.Combine(run.Dir, "report.html")));
    }

    [Fact]
    public void A_malformed_metrics_file_is_named()
    {
        using var run = new SyntheticRun();
        File.WriteAllText(run.MetricsPath, "{\"standard\": [1, 2]}");
        var e = Assert.ThrowsAny<InputException>(() => Figures.WriteAll(run.MetricsPath, null, run.Settings, run.Dir));
        Assert.StartsWith(run.MetricsPath, e.Message);
    }

    [Theory]
    [InlineData("0,1.5,0.5,11,5,0.1\n10,abc,0.4,11,5,0.2\n", "line 3: loss 'abc' is not a number")]
    [InlineData("0,1.5,0.5,11,5\n", "line 2: 5 fields where the header has 6")]
    [InlineData("0,1.5,0.5,11.5,5,0.1\n", "line 2: n_points '11.5' is not an integer")]
    public void A_malformed_train_log_names_file_and_line(string body, string expected)
    {
        using var run = new SyntheticRun();
        File.WriteAllText(run.TrainLogPath, "step,loss,excess_loss,n_points,n_dims,seconds\n" + body);
        var e = Assert.ThrowsAny<InputException>(() => Figures.WriteAll(run.MetricsPath, run.TrainLogPath, run.Settings, run.Dir));
        Assert.Equal($"{run.TrainLogPath}: {expected}", e.Message);
        Assert.Empty(Directory.GetFiles(run.Dir, "*.png")); // inputs are checked before anything is drawn
    }

    [Fact]
    public void An_unknown_figure_format_is_refused_before_anything_is_written()
    {
        using var run = new SyntheticRun();
        var e = Assert.Throws<ArgumentException>(() => Figures.WriteAll(run.MetricsPath, run.TrainLogPath, run.Settings, run.Dir, format: "gif"));
        Assert.Contains("png, svg", e.Message);
        Assert.Equal(2, Directory.GetFiles(run.Dir).Length);
    }

    [Fact]
    public void A_train_log_without_the_expected_header_is_refused()
    {
        using var run = new SyntheticRun();
        File.WriteAllText(run.TrainLogPath, "step,loss\n0,1\n");
        var e = Assert.ThrowsAny<InputException>(() => TrainingLog.Read(run.TrainLogPath));
        Assert.Equal($"{run.TrainLogPath}: line 1: header lacks excess_loss, n_points, n_dims, seconds (expected step,loss,excess_loss,n_points,n_dims,seconds)", e.Message);
    }

    [Fact]
    public void A_train_log_is_read_by_column_name()
    {
        using var run = new SyntheticRun();
        File.WriteAllText(run.TrainLogPath, "seconds,n_dims,n_points,excess_loss,loss,step,extra\n2.5,5,11,0.25,1.25,100,x\n");
        Assert.Equal(new LogRow(100, 1.25, 0.25, 11, 5, 2.5), Assert.Single(TrainingLog.Read(run.TrainLogPath)));
    }

    [Fact]
    public void Without_a_train_log_the_training_curve_is_left_out()
    {
        using var run = new SyntheticRun(trainLog: false);
        var files = Figures.WriteAll(run.MetricsPath, run.TrainLogPath, run.Settings, Path.Combine(run.Dir, "plots"));
        Assert.Equal(SyntheticRun.Evaluations.Length, files.Count);
        Assert.DoesNotContain(files, f => f.Contains(Figures.TrainingCurveName));
    }
}
