using InContext.Config;
using Xunit;

namespace InContext.Tests.Config;

public class ConfigTests
{
    const string Valid = """
        model: {family: gpt2, n_dims: 5, n_positions: 11, n_embd: 64, n_layer: 3, n_head: 2}
        training:
          task: linear_regression
          task_kwargs: {}
          batch_size: 8
          learning_rate: 0.001
          train_steps: 10
          curriculum:
            dims: {start: 2, end: 5, inc: 1, interval: 4}
            points: {start: 5, end: 11, inc: 2, interval: 4}
        out_dir: runs
        """;

    static string Write(string dir, string name, string text)
    {
        var p = Path.Combine(dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
        return p;
    }

    [Fact]
    public void Paper_configs_resolve_inherit_depth_first_with_the_including_file_winning()
    {
        var c = RunConfig.Load(TestPaths.Conf("linear_regression.yaml"));
        Assert.Equal(20, c.Model.NDims);         // base.yaml
        Assert.Equal(256, c.Model.NEmbd);        // models/standard.yaml via base.yaml
        Assert.Equal(101, c.Model.NPositions);
        Assert.Equal(1e-4, c.Training.LearningRate);
        Assert.Equal(new Schedule(11, 41, 2, 2000), c.Training.Curriculum.Points);
        Assert.Equal(new Schedule(5, 20, 1, 2000), c.Training.Curriculum.Dims);
        Assert.Equal("linear_regression_standard", c.Wandb.Name); // overrides wandb.yaml
        Assert.Equal(100, c.Wandb.LogEverySteps);                 // from wandb.yaml

        var toy = RunConfig.Load(TestPaths.Conf("toy.yaml"));
        Assert.Equal((5, 11, 128, 6, 4), (toy.Model.NDims, toy.Model.NPositions, toy.Model.NEmbd, toy.Model.NLayer, toy.Model.NHead));
        Assert.Equal(3, new Section("t", "", RunConfig.Load(TestPaths.Conf("sparse_linear_regression.yaml")).Training.TaskKwargs).Int("sparsity"));
    }

    [Theory]
    [InlineData("decision_tree.yaml", "decision_tree", 101)]
    [InlineData("relu_2nn_regression.yaml", "relu_2nn_regression", 101)]
    [InlineData("sparse_linear_regression.yaml", "sparse_linear_regression", 41)]
    [InlineData("quickstart.yaml", "linear_regression", 11)]
    [InlineData("extrapolation.yaml", "linear_regression", 11)]
    public void Every_shipped_config_loads(string file, string task, int points)
    {
        var c = RunConfig.Load(TestPaths.Conf(file));
        Assert.Equal(task, c.Training.Task);
        Assert.Equal(points, c.Training.Curriculum.Points.End);
    }

    [Fact]
    public void The_embedded_quickstart_is_the_file_in_conf()
    {
        var embedded = RunConfig.Quickstart();
        var file = RunConfig.Load(TestPaths.Conf("quickstart.yaml"));
        Assert.Equal(file.Model, embedded.Model);
        Assert.Equal(file.Training.Curriculum, embedded.Training.Curriculum);
        Assert.Equal(file.Training.LearningRate, embedded.Training.LearningRate);
    }

    [Fact]
    public void Resolved_config_round_trips_through_config_yaml()
    {
        var dir = TestPaths.TempDir();
        var c = RunConfig.Load(TestPaths.Conf("sparse_linear_regression.yaml"));
        c.Save(Path.Combine(dir, "config.yaml"));
        var back = RunConfig.Load(Path.Combine(dir, "config.yaml"));
        Assert.Equal(c.Model, back.Model);
        Assert.Equal(c.Wandb, back.Wandb);
        Assert.Equal(c.Training.Curriculum, back.Training.Curriculum);
        var same = new Dictionary<string, object?>();
        Assert.Equal(c.Training with { TaskKwargs = same }, back.Training with { TaskKwargs = same });
        Assert.Equal(3, new Section("t", "", back.Training.TaskKwargs).Int("sparsity"));
    }

    [Fact]
    public void Inheritance_cycles_and_missing_parents_are_named()
    {
        var dir = TestPaths.TempDir();
        Write(dir, "a.yaml", "inherit: [b.yaml]\n");
        var b = Write(dir, "b.yaml", "inherit: [a.yaml]\n");
        Assert.Contains("inherits itself", Assert.Throws<ConfigException>(() => RunConfig.Load(b)).Message);
        var c = Write(dir, "c.yaml", "inherit: [nope.yaml]\n");
        var e = Assert.Throws<ConfigException>(() => RunConfig.Load(c));
        Assert.Contains("nope.yaml", e.Message);
        Assert.Contains("file not found", e.Message);
    }

    [Theory]
    // unknown keys, at every depth
    [InlineData("n_head: 2}", "n_head: 2, colour: red}", "model.colour", "unknown key")]
    [InlineData("  batch_size: 8", "  batch_size: 8\n  batchsize: 8", "training.batchsize", "unknown key")]
    [InlineData("task_kwargs: {}", "task_kwargs: {sparsity: 2}", "training.task_kwargs.sparsity", "unknown key")]
    [InlineData("dims: {start: 2,", "dims: {begin: 1, start: 2,", "training.curriculum.dims.begin", "unknown key")]
    // wrong types
    [InlineData("batch_size: 8", "batch_size: eight", "training.batch_size", "expected an integer")]
    [InlineData("learning_rate: 0.001", "learning_rate: fast", "training.learning_rate", "expected a finite number")]
    [InlineData("n_dims: 5", "n_dims: 5.5", "model.n_dims", "expected an integer")]
    [InlineData("out_dir: runs", "out_dir: [a, b]", "out_dir", "expected a string")]
    // missing required keys
    [InlineData(", n_head: 2}", "}", "model.n_head", "required key is missing")]
    [InlineData("    points: {start: 5, end: 11, inc: 2, interval: 4}", "", "training.curriculum.points", "required key is missing")]
    // impossible values
    [InlineData("n_embd: 64", "n_embd: 63", "model.n_embd", "divisible by n_head")]
    [InlineData("dims: {start: 2, end: 5,", "dims: {start: 2, end: 6,", "training.curriculum.dims.end", "at most model.n_dims")]
    [InlineData("points: {start: 5, end: 11,", "points: {start: 5, end: 12,", "training.curriculum.points.end", "at most model.n_positions")]
    [InlineData("task: linear_regression", "task: cubic_regression", "training.task", "is not one of")]
    [InlineData("batch_size: 8", "batch_size: 0", "training.batch_size", "at least 1")]
    [InlineData("learning_rate: 0.001", "learning_rate: -1", "training.learning_rate", "must be positive")]
    public void Each_class_of_config_error_names_the_file_and_key_path(string find, string replace, string keyPath, string problem)
    {
        var dir = TestPaths.TempDir();
        Assert.Contains(find, Valid);
        var path = Write(dir, "bad.yaml", Valid.Replace(find, replace));
        var e = Assert.Throws<ConfigException>(() => RunConfig.Load(path));
        Assert.Equal(keyPath, e.KeyPath);
        Assert.StartsWith(path + ": " + keyPath + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    // an unknown key, a wrong type and an impossible value, each written only in the inherited sub/typo.yaml
    [InlineData("model: {n_dim: 5}", "model.n_dim", "unknown key (expected one of: family, n_dims, n_embd, n_head, n_layer, n_positions); did you mean n_dims?")]
    [InlineData("training: {batch_size: eight}", "training.batch_size", "expected an integer, found 'eight'")]
    [InlineData("training: {curriculum: {dims: {end: 9}}}", "training.curriculum.dims.end", "must be at most model.n_dims (5), found 9")]
    [InlineData("training: {task_kwargs: {sparsity: 2}}", "training.task_kwargs.sparsity", "unknown key")]
    public void An_error_in_an_inherited_file_names_that_file_not_the_including_one(string typo, string keyPath, string problem)
    {
        var dir = TestPaths.TempDir();
        Write(dir, "sub/parent.yaml", Valid);
        var typoPath = Write(dir, "sub/typo.yaml", typo + "\n");
        var b = Write(dir, "b.yaml", "inherit: [sub/parent.yaml, sub/typo.yaml]\n");
        var e = Assert.Throws<ConfigException>(() => RunConfig.Load(b));
        Assert.Equal(typoPath, e.File);
        Assert.Equal(keyPath, e.KeyPath);
        Assert.StartsWith($"{typoPath}: {keyPath}: {problem}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_key_merged_from_several_files_is_blamed_on_the_last_file_to_write_it()
    {
        var dir = TestPaths.TempDir();
        var parent = Write(dir, "sub/parent.yaml", Valid);
        Write(dir, "sub/other.yaml", "model: {n_dims: 7}\n");
        // the including file writes the key last: it is named, though its parents write the key too
        var b = Write(dir, "b.yaml", "inherit: [sub/parent.yaml, sub/other.yaml]\nmodel: {n_dims: 0}\n");
        var e = Assert.Throws<ConfigException>(() => RunConfig.Load(b));
        Assert.Equal($"{b}: model.n_dims: must be at least 1, found 0", e.Message);

        // model is merged from three files; n_embd was last written by sub/parent.yaml, n_head by the including file
        b = Write(dir, "b.yaml", "inherit: [sub/parent.yaml, sub/other.yaml]\nmodel: {n_head: 3}\ntraining: {curriculum: {dims: {end: 7}}}\n");
        e = Assert.Throws<ConfigException>(() => RunConfig.Load(b));
        Assert.Equal($"{parent}: model.n_embd: must be divisible by n_head (3), found 64", e.Message);

        // a later parent replaces the earlier one's value: the later is named
        Write(dir, "sub/other.yaml", "model: {n_dims: -2}\n");
        b = Write(dir, "b.yaml", "inherit: [sub/parent.yaml, sub/other.yaml]\n");
        e = Assert.Throws<ConfigException>(() => RunConfig.Load(b));
        Assert.Equal($"{Path.Combine(dir, "sub", "other.yaml")}: model.n_dims: must be at least 1, found -2", e.Message);

        // a key missing from every file is the including file's to give
        Write(dir, "sub/parent.yaml", Valid.Replace(", n_head: 2}", "}"));
        b = Write(dir, "b.yaml", "inherit: [sub/parent.yaml]\n");
        e = Assert.Throws<ConfigException>(() => RunConfig.Load(b));
        Assert.StartsWith($"{b}: model.n_head: required key is missing", e.Message);
    }

    [Fact]
    public void An_error_through_nested_inherit_names_the_innermost_file_that_wrote_the_key()
    {
        var dir = TestPaths.TempDir();
        Write(dir, "base/full.yaml", Valid);
        var deep = Write(dir, "base/deep/typo.yaml", "wandb: {log_every_step: 5}\n");
        Write(dir, "mid/mid.yaml", "inherit: [../base/full.yaml, ../base/deep/typo.yaml]\ntraining: {seed: 1}\n");
        var top = Write(dir, "top.yaml", "inherit: [mid/mid.yaml]\nout_dir: elsewhere\n");
        var e = Assert.Throws<ConfigException>(() => RunConfig.Load(top));
        Assert.StartsWith($"{deep}: wandb.log_every_step: unknown key", e.Message);
        Assert.EndsWith("did you mean log_every_steps?", e.Message);

        // the middle file overriding the deep one's value is named instead
        Write(dir, "mid/mid.yaml", "inherit: [../base/full.yaml]\ntraining: {seed: -1}\n");
        e = Assert.Throws<ConfigException>(() => RunConfig.Load(top));
        Assert.Equal($"{Path.Combine(dir, "mid", "mid.yaml")}: training.seed: must not be negative, found -1", e.Message);
    }

    [Fact]
    public void Task_kwargs_are_checked_per_task()
    {
        var dir = TestPaths.TempDir();
        var tree = Valid.Replace("task: linear_regression", "task: sparse_linear_regression").Replace("task_kwargs: {}", "task_kwargs: {sparsity: 9}");
        var e = Assert.Throws<ConfigException>(() => RunConfig.Load(Write(dir, "s.yaml", tree)));
        Assert.Equal("training.task_kwargs.sparsity", e.KeyPath);
        var ok = Valid.Replace("task: linear_regression", "task: decision_tree").Replace("task_kwargs: {}", "task_kwargs: {depth: 3}");
        Assert.Equal("decision_tree", RunConfig.Load(Write(dir, "t.yaml", ok)).Training.Task);
    }
}
