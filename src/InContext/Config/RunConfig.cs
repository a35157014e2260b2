using InContext.Tasks;
using InContext.Yaml;

namespace InContext.Config;

/// <summary>The paper's <c>model</c> section (conf/models/*.yaml).</summary>
public sealed record ModelConfig(string Family, int NDims, int NPositions, int NEmbd, int NLayer, int NHead);

/// <summary>One curriculum schedule: starts at Start, grows by Inc every Interval steps, capped at End.</summary>
public sealed record Schedule(int Start, int End, int Inc, int Interval);

/// <summary>The paper's <c>curriculum</c> section: how the active dims and the points per prompt grow.</summary>
/// <param name="Dims">The schedule of active input dims (<c>dims</c>).</param>
/// <param name="Points">The schedule of points per prompt (<c>points</c>).</param>
public sealed record CurriculumConfig(Schedule Dims, Schedule Points);

/// <summary>The paper's <c>training</c> section, plus <c>seed</c> (ours) for reproducible runs, and <c>seeds</c> (ours): several seeds of the config, trained together as one pack (<see cref="Training.SeedPacks"/>).</summary>
public sealed record TrainingConfig(
    string Task,
    Dictionary<string, object?> TaskKwargs,
    int? NumTasks,
    int? NumTrainingExamples,
    string Data,
    int BatchSize,
    double LearningRate,
    int TrainSteps,
    int SaveEverySteps,
    int KeepEverySteps,
    string? ResumeId,
    CurriculumConfig Curriculum,
    long Seed,
    IReadOnlyList<long>? Seeds = null);

/// <summary>The paper's <c>wandb</c> section: names for logging, and how often to log.</summary>
public sealed record WandbConfig(string Project, string Entity, string Notes, string? Name, int LogEverySteps);

/// <summary>
/// A whole run configuration, validated once at the edge: every later stage can trust it.
/// </summary>
public sealed record RunConfig(ModelConfig Model, TrainingConfig Training, WandbConfig Wandb, string OutDir, bool TestRun)
{
    /// <summary>The model families a config may name (<c>model.family</c>): GPT-2 only.</summary>
    public static readonly string[] Families = { "gpt2" };
    /// <summary>The data samplers a config may name (<c>training.data</c>): Gaussian only.</summary>
    public static readonly string[] DataSamplers = { "gaussian" };

    /// <summary>Loads a config file (resolving <c>inherit</c>) and validates it; errors name the file and key path.</summary>
    public static RunConfig Load(string path)
    {
        var tree = YamlTree.LoadWithInherit(path, out var sources);
        return FromTree(Path.GetFullPath(path), tree, sources) with { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) };
    }

    /// <summary>
    /// The embedded CPU default (conf/quickstart.yaml), read as if it stood in
    /// <c>&lt;current folder&gt;/conf/</c>, so its runs go to <c>./runs</c>.
    /// </summary>
    public static RunConfig Quickstart()
    {
        using var stream = typeof(RunConfig).Assembly.GetManifestResourceStream("InContext.quickstart.yaml")!;
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "quickstart.yaml (embedded)") with { BaseDirectory = Path.Combine(Directory.GetCurrentDirectory(), "conf") };
    }

    /// <summary>The folder relative <c>out_dir</c>s are resolved against: the config file's (the current folder for in-memory configs).</summary>
    public string? BaseDirectory { get; init; }

    /// <summary><c>out_dir</c> as an absolute path.</summary>
    public string ResolvedOutDir => Path.GetFullPath(OutDir, BaseDirectory ?? Directory.GetCurrentDirectory());

    /// <summary>Parses config text (no inherit) — for tests and programs that build configs in memory.</summary>
    public static RunConfig Parse(string yaml, string name = "<config>") => FromTree(name, YamlTree.Parse(name, yaml));

    /// <summary>The file the config was read from (or the name given to in-memory text), as errors name it.</summary>
    public string Source { get; init; } = "<config>";

    /// <summary>
    /// Validates a config tree (as <see cref="YamlTree"/> reads it, inherit resolved) read from <paramref name="file"/>;
    /// errors name the key path and the file that wrote the key (from <paramref name="sources"/>; <paramref name="file"/> when unknown).
    /// </summary>
    public static RunConfig FromTree(string file, Dictionary<string, object?> tree, Dictionary<string, YamlTree.KeySource>? sources = null)
    {
        var root = new Section(file, "", tree, sources).Expect("model", "training", "wandb", "out_dir", "test_run");

        var m = root.Sub("model").Expect("family", "n_dims", "n_positions", "n_embd", "n_layer", "n_head");
        var model = new ModelConfig(
            m.Choice("family", Families, "gpt2"), m.Int("n_dims"), m.Int("n_positions"),
            m.Int("n_embd"), m.Int("n_layer"), m.Int("n_head"));

        var t = root.Sub("training").Expect("task", "task_kwargs", "num_tasks", "num_training_examples", "data", "batch_size",
            "learning_rate", "train_steps", "save_every_steps", "keep_every_steps", "resume_id", "curriculum", "seed", "seeds");
        var task = t.Choice("task", TaskRegistry.Names);
        var kwargsSection = t.Sub("task_kwargs", required: false);
        var c = t.Sub("curriculum").Expect("dims", "points");
        var curriculum = new CurriculumConfig(ReadSchedule(c, "dims"), ReadSchedule(c, "points"));
        var training = new TrainingConfig(
            task,
            tree.TryGetValue("training", out var tr) && tr is Dictionary<string, object?> trd && trd.TryGetValue("task_kwargs", out var kw) && kw is Dictionary<string, object?> kwd ? kwd : new(),
            t.IntOrNull("num_tasks"), t.IntOrNull("num_training_examples"),
            t.Choice("data", DataSamplers, "gaussian"),
            t.Int("batch_size", 64), t.Float("learning_rate", 3e-4), t.Int("train_steps", 1000),
            t.Int("save_every_steps", 1000), t.Int("keep_every_steps", -1), t.StringOrNull("resume_id"),
            curriculum, t.Int("seed", 0), t.IntListOrNull("seeds"));

        var w = root.Sub("wandb", required: false).Expect("project", "entity", "notes", "name", "log_every_steps");
        var wandb = new WandbConfig(w.String("project", "in-context-training"), w.String("entity", "in-context"),
            w.StringOrNull("notes") ?? "", w.StringOrNull("name"), w.Int("log_every_steps", 10));

        var config = new RunConfig(model, training, wandb, root.String("out_dir"), root.Bool("test_run", false)) { Source = file };

        config.Validate(t, m, c, w);
        // Building the function class once checks its task_kwargs (names, types, ranges).
        TaskRegistry.Create(task, kwargsSection, model.NDims);
        return config;
    }

    static Schedule ReadSchedule(Section curriculum, string key)
    {
        var s = curriculum.Sub(key).Expect("start", "end", "inc", "interval");
        var schedule = new Schedule(s.Int("start"), s.Int("end"), s.Int("inc"), s.Int("interval"));
        if (schedule.Start < 1) throw s.Error("start", $"must be at least 1, found {schedule.Start}");
        if (schedule.End < schedule.Start) throw s.Error("end", $"must be at least start ({schedule.Start}), found {schedule.End}");
        if (schedule.Inc < 0) throw s.Error("inc", $"must not be negative, found {schedule.Inc}");
        if (schedule.Interval < 1) throw s.Error("interval", $"must be at least 1, found {schedule.Interval}");
        return schedule;
    }

    /// <summary>The largest <c>n_positions</c>: the backbone is built for 2 × n_positions tokens, an <see cref="int"/>.</summary>
    public const int MaxPositions = int.MaxValue / 2;

    /// <summary>
    /// The largest learning rate whose first Adam step, <c>learning_rate / (1 − β1)</c> with torch's
    /// β1 = 0.9 (the trainer's), fits a float32; a larger one fails inside libtorch.
    /// </summary>
    public const double MaxLearningRate = float.MaxValue * (1 - 0.9);

    /// <summary>Impossible values, caught before any training starts.</summary>
    void Validate(Section t, Section m, Section c, Section w)
    {
        void Positive(Section s, string key, int value) { if (value < 1) throw s.Error(key, $"must be at least 1, found {value}"); }
        Positive(m, "n_dims", Model.NDims);
        Positive(m, "n_positions", Model.NPositions);
        if (Model.NPositions > MaxPositions)
            throw m.Error("n_positions", $"must be at most {MaxPositions}: the model embeds 2 × n_positions tokens (an x and a y per point), a count that must fit an int; found {Model.NPositions}");
        Positive(m, "n_embd", Model.NEmbd);
        Positive(m, "n_layer", Model.NLayer);
        Positive(m, "n_head", Model.NHead);
        if (Model.NEmbd % Model.NHead != 0)
            throw m.Error("n_embd", $"must be divisible by n_head ({Model.NHead}), found {Model.NEmbd}");
        var cur = Training.Curriculum;
        if (cur.Dims.End > Model.NDims)
            throw c.Sub("dims").Error("end", $"must be at most model.n_dims ({Model.NDims}), found {cur.Dims.End}");
        if (cur.Points.End > Model.NPositions)
            throw c.Sub("points").Error("end", $"must be at most model.n_positions ({Model.NPositions}), found {cur.Points.End}");
        Positive(t, "batch_size", Training.BatchSize);
        Positive(t, "train_steps", Training.TrainSteps);
        Positive(t, "save_every_steps", Training.SaveEverySteps);
        if (!(Training.LearningRate > 0)) throw t.Error("learning_rate", $"must be positive, found {Training.LearningRate}");
        if (Training.LearningRate > MaxLearningRate)
            throw t.Error("learning_rate", $"must be at most {MaxLearningRate:G2}: Adam's first step moves a weight by up to learning_rate / (1 − β1) = 10 × learning_rate, a float32; found {Training.LearningRate:G3}");
        if (Training.NumTasks is < 1) throw t.Error("num_tasks", $"must be at least 1 (or null), found {Training.NumTasks}");
        if (Training.NumTrainingExamples is { } n && n < Training.BatchSize)
            throw t.Error("num_training_examples", $"must be at least batch_size ({Training.BatchSize}) so a batch has distinct seeds, found {n}");
        if (Training.Seed < 0) throw t.Error("seed", $"must not be negative, found {Training.Seed}");
        if (Training.Seeds is { } seeds)
        {
            if (t.Has("seed")) throw t.Error("seeds", "give seed (one run) or seeds (a pack of runs), not both");
            if (seeds.FirstOrDefault(s => s is < 0 or > int.MaxValue) is var bad && bad is < 0 or > int.MaxValue) throw t.Error("seeds", $"each seed must be from 0 to {int.MaxValue}, found {bad}");
            if (seeds.GroupBy(s => s).FirstOrDefault(g => g.Count() > 1) is { } twice) throw t.Error("seeds", $"seed {twice.Key} given twice; each seed is one run");
        }
        Positive(w, "log_every_steps", Wandb.LogEverySteps);
    }

    /// <summary>The paper's test run: 100 steps at the curriculum's end values (nothing is written).</summary>
    public RunConfig AsTestRun()
    {
        var c = Training.Curriculum;
        return this with
        {
            TestRun = true,
            Training = Training with
            {
                TrainSteps = 100,
                Curriculum = new CurriculumConfig(c.Dims with { Start = c.Dims.End }, c.Points with { Start = c.Points.End }),
            },
        };
    }

    /// <summary>The resolved config as a tree in the paper's schema (inherit flattened), for config.yaml.</summary>
    public Dictionary<string, object?> ToTree()
    {
        static Dictionary<string, object?> S(Schedule s) => new() { ["start"] = s.Start, ["end"] = s.End, ["inc"] = s.Inc, ["interval"] = s.Interval };
        var tree = new Dictionary<string, object?>
        {
            ["model"] = new Dictionary<string, object?>
            {
                ["family"] = Model.Family, ["n_dims"] = Model.NDims, ["n_positions"] = Model.NPositions,
                ["n_embd"] = Model.NEmbd, ["n_layer"] = Model.NLayer, ["n_head"] = Model.NHead,
            },
            ["training"] = new Dictionary<string, object?>
            {
                ["task"] = Training.Task, ["task_kwargs"] = Training.TaskKwargs,
                ["num_tasks"] = Training.NumTasks, ["num_training_examples"] = Training.NumTrainingExamples,
                ["data"] = Training.Data, ["batch_size"] = Training.BatchSize, ["learning_rate"] = Training.LearningRate,
                ["train_steps"] = Training.TrainSteps, ["save_every_steps"] = Training.SaveEverySteps,
                ["keep_every_steps"] = Training.KeepEverySteps, ["resume_id"] = Training.ResumeId,
                ["curriculum"] = new Dictionary<string, object?> { ["dims"] = S(Training.Curriculum.Dims), ["points"] = S(Training.Curriculum.Points) },
                ["seed"] = Training.Seed,
            },
            ["wandb"] = new Dictionary<string, object?>
            {
                ["project"] = Wandb.Project, ["entity"] = Wandb.Entity, ["notes"] = Wandb.Notes,
                ["name"] = Wandb.Name, ["log_every_steps"] = Wandb.LogEverySteps,
            },
            ["out_dir"] = OutDir,
            ["test_run"] = TestRun,
        };
        // Only a config that asks for a pack has the key: a run's own config.yaml names its one seed.
        if (Training.Seeds is { } seeds) ((Dictionary<string, object?>)tree["training"]!)["seeds"] = seeds.Select(s => (object?)s).ToList();
        return tree;
    }

    /// <summary>
    /// The key paths (<c>training.seed</c>) where this config and <paramref name="other"/> differ, each
    /// with both values as config.yaml writes them ("(none)" where one lacks the key), leaving out the
    /// paths in <paramref name="ignoring"/>.
    /// </summary>
    public IReadOnlyList<(string Key, string This, string Other)> DifferencesFrom(RunConfig other, params string[] ignoring)
    {
        var (a, b) = (Flatten(ToTree(), ""), Flatten(other.ToTree(), ""));
        return a.Keys.Union(b.Keys).Where(k => !ignoring.Contains(k))
            .Select(k => (Key: k, This: a.GetValueOrDefault(k) ?? "(none)", Other: b.GetValueOrDefault(k) ?? "(none)"))
            .Where(d => d.This != d.Other).ToList();
    }

    static Dictionary<string, string> Flatten(Dictionary<string, object?> tree, string prefix)
    {
        var flat = new Dictionary<string, string>();
        foreach (var (k, v) in tree)
        {
            var path = prefix.Length == 0 ? k : $"{prefix}.{k}";
            if (v is Dictionary<string, object?> d && d.Count > 0) foreach (var (fk, fv) in Flatten(d, path)) flat[fk] = fv;
            else flat[path] = YamlWriter.Write(new Dictionary<string, object?> { ["v"] = v }).Trim()[2..].Trim();
        }
        return flat;
    }

    /// <summary>Writes the resolved config as YAML, atomically.</summary>
    public void Save(string path) => YamlWriter.WriteAtomically(path, ToTree());
}
