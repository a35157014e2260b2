using Xunit;
using static InContext.Tests.Reliability.Corpus;

namespace InContext.Tests.Reliability;

/// <summary>Configs that cannot be trained: one line naming the file and key, exit 2, no run folder made.</summary>
public class MalformedConfigTests
{
    static readonly string[] Train = ["train", "bad.yaml"];

    static MalformedInput C(string name, string says, Action<string> setup, string[]? args = null) => new(name, args ?? Train, says, setup);

    public static TheoryData<MalformedInput> Cases => new()
    {
        C("unknown top-level key", "modle: unknown key", dir => File.WriteAllText(Path.Combine(dir, "bad.yaml"), TinyConfig.Replace("model:", "modle:"))),
        C("misspelt key named before the missing one", "model.n_dim: unknown key", Spoiled("n_dims: 3", "n_dim: 3")),
        C("a suggestion for a misspelt key", "did you mean n_dims?", Spoiled("n_dims: 3", "n_dim: 3")),
        C("missing required key", "model.n_embd: required key is missing", Spoiled("  n_embd: 16\n", "")),
        C("text for an integer", "training.batch_size: expected an integer, found 'abc'", Spoiled("batch_size: 4", "batch_size: abc")),
        C("a quoted integer", "training.batch_size: expected an integer, found '4' (quoted, so a string: drop the quotes)", Spoiled("batch_size: 4", "batch_size: \"4\"")),
        C("text for a number", "training.learning_rate: expected a finite number, found 'fast'", Spoiled("learning_rate: 0.001", "learning_rate: fast")),
        C("negative learning rate", "training.learning_rate: must be positive", Spoiled("learning_rate: 0.001", "learning_rate: -1")),
        // a number past float32 passed the check and failed inside libtorch ("value cannot be converted to type float without overflow")
        C("learning rate past float32", "bad.yaml: training.learning_rate: expected a number within ±3.4e38 (a float32), found '1e39'", Spoiled("learning_rate: 0.001", "learning_rate: 1e39")),
        C("learning rate whose first Adam step is past float32", "bad.yaml: training.learning_rate: must be at most 3.4E+37: Adam's first step moves a weight by up to learning_rate / (1 − β1) = 10 × learning_rate, a float32; found 1E+38",
            Spoiled("learning_rate: 0.001", "learning_rate: 1e38")),
        C("output scale past float32", "bad.yaml: training.task_kwargs.scale: expected a number within ±3.4e38 (a float32), found '-1e39'", Spoiled("task: linear_regression", "task: linear_regression\n  task_kwargs: {scale: -1e39}")),
        C("noise past float32", "bad.yaml: training.task_kwargs.noise_std: expected a number within ±3.4e38 (a float32), found '1e300'", Spoiled("task: linear_regression", "task: noisy_linear_regression\n  task_kwargs: {noise_std: 1e300}")),
        C("integer out of range", "training.train_steps: expected an integer from -2147483648 to 2147483647, found '99999999999'", Spoiled("train_steps: 4", "train_steps: 99999999999")),
        C("zero steps", "training.train_steps: must be at least 1", Spoiled("train_steps: 4", "train_steps: 0")),
        C("embedding not divisible by heads", "model.n_embd: must be divisible by n_head (2), found 15", Spoiled("n_embd: 16", "n_embd: 15")),
        C("points past n_positions", "training.curriculum.points.end: must be at most model.n_positions (6), found 7", Spoiled("      end: 6\n", "      end: 7\n")),
        C("dims past n_dims", "training.curriculum.dims.end: must be at most model.n_dims (3), found 4", Spoiled("      end: 3\n", "      end: 4\n")),
        C("unknown task", "training.task: 'cubic_regression' is not one of", Spoiled("task: linear_regression", "task: cubic_regression")),
        C("misspelt task", "did you mean linear_regression?", Spoiled("task: linear_regression", "task: linear_regresion")),
        C("kwarg the task does not take", "task_kwargs.sparsity: unknown key", Spoiled("task: linear_regression", "task: linear_regression\n  task_kwargs: {sparsity: 2}")),
        C("sparsity past n_dims", "task_kwargs.sparsity: must be between 1 and n_dims (3), found 5", Spoiled("task: linear_regression", "task: sparse_linear_regression\n  task_kwargs: {sparsity: 5}")),
        C("tree too deep", "task_kwargs.depth: must be between 1 and 20, found 30", Spoiled("task: linear_regression", "task: decision_tree\n  task_kwargs: {depth: 30}")),
        C("interval zero", "training.curriculum.dims.interval: must be at least 1, found 0", Spoiled("      interval: 100\n    points", "      interval: 0\n    points")),
        C("unknown family", "model.family: 'lstm' is not one of gpt2", Spoiled("family: gpt2", "family: lstm")),
        C("unknown sampler", "training.data: 'uniform' is not one of gaussian", Spoiled("task: linear_regression", "task: linear_regression\n  data: uniform")),
        C("not YAML", "not valid YAML at line", WriteFile("bad.yaml", "model:\n  n_dims: [3\n")),
        C("a list at the top", "expected a mapping of sections at the top level", WriteFile("bad.yaml", "- 1\n- 2\n")),
        C("empty file", "model: required key is missing", WriteFile("bad.yaml", "")),
        C("key given twice", "Duplicate key n_dims", Spoiled("n_dims: 3", "n_dims: 3\n  n_dims: 4")),
        C("binary file", "bad.yaml:", WriteBytes("bad.yaml", [0x7f, (byte)'E', (byte)'L', (byte)'F', 0, 1, 2, 0xff, 0xfe, 10, 0x1b, (byte)'['])),
        C("inherited file missing", "nope.yaml: file not found (inherited from", WriteFile("bad.yaml", "inherit: [nope.yaml]\n" + TinyConfig)),
        C("inheritance cycle", "inherits itself", dir =>
        {
            File.WriteAllText(Path.Combine(dir, "bad.yaml"), "inherit: [other.yaml]\n");
            File.WriteAllText(Path.Combine(dir, "other.yaml"), "inherit: [bad.yaml]\n");
        }),
        C("YAML alias bomb", "expands to more than 100000 values", WriteFile("bad.yaml",
            "a: &a [x, x, x, x, x, x, x, x, x]\n" + string.Join("", Enumerable.Range(1, 8).Select(i => $"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(", ", Enumerable.Repeat($"*{(char)('a' + i - 1)}", 9))}]\n")))),
        C("file too large", "larger than 1024 KiB", WriteFile("bad.yaml", TinyConfig + "\n#" + new string('x', 1 << 20))),
        // a FIFO stands for a device here: `inherit: /dev/zero` read for 14 s and ran out of memory, a FIFO waited for a writer for ever
        C("config that is a pipe", "pipe: is a pipe (FIFO), expected a YAML file", dir => SpecialFiles.Fifo(Path.Combine(dir, "pipe")), ["train", "pipe"]),
        C("inherited file that is a pipe", "pipe: is a pipe (FIFO), expected a YAML file (inherited from ", dir =>
        {
            SpecialFiles.Fifo(Path.Combine(dir, "pipe"));
            File.WriteAllText(Path.Combine(dir, "bad.yaml"), "inherit: [pipe]\n" + TinyConfig);
        }),
        C("embedding that cannot fit in memory", "training this config needs about", Spoiled("n_embd: 16", "n_embd: 1000000000")),
        // 2 × n_positions overflowed an int: "Trying to create tensor with negative dimension" where 1e9 was refused by the memory check
        C("positions whose tokens overflow an int", "bad.yaml: model.n_positions: must be at most 1073741823: the model embeds 2 × n_positions tokens (an x and a y per point), a count that must fit an int; found 2147483647",
            Spoiled("n_positions: 6", "n_positions: 2147483647")),
        C("positions just past an int's half", "model.n_positions: must be at most 1073741823", Spoiled("n_positions: 6", "n_positions: 1073741824")),
        C("batch that cannot fit in memory", "one batch's activations", Spoiled("batch_size: 4", "batch_size: 2000000000")),
        C("log every zero steps", "wandb.log_every_steps: must be at least 1", Spoiled("out_dir: runs", "out_dir: runs\nwandb: {log_every_steps: 0}")),
        C("finite data set smaller than a batch", "training.num_training_examples: must be at least batch_size (4)", Spoiled("batch_size: 4", "batch_size: 4\n  num_training_examples: 2")),
        C("negative seed", "training.seed: must not be negative", Spoiled("seed: 0", "seed: -1")),
        C("out_dir is a file", "is a file, expected a folder for runs", dir =>
        {
            File.WriteAllText(Path.Combine(dir, "bad.yaml"), TinyConfig.Replace("out_dir: runs", "out_dir: taken"));
            File.WriteAllText(Path.Combine(dir, "taken"), "a file");
        }),
        C("config not found", "missing.yaml: file not found", _ => { }, ["train", "missing.yaml"]),
        C("a folder that is not a run", "not a run folder (no config.yaml)", dir => Directory.CreateDirectory(Path.Combine(dir, "empty")), ["train", "empty"]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Is_refused_in_one_line_and_writes_nothing(MalformedInput c) => Check(c);
}

/// <summary>Options and arguments out of range: the option named as typed, exit 2, nothing written.</summary>
public class MalformedCommandLineTests
{
    static MalformedInput C(string name, string says, string[] args, Action<string>? setup = null) => new(name, args, says, setup);

    static readonly Action<string> GoodConfig = WriteFile("good.yaml", TinyConfig);

    public static TheoryData<MalformedInput> Cases => new()
    {
        C("steps not a number", "--steps abc: expected a whole number", ["train", "good.yaml", "--steps", "abc"], GoodConfig),
        C("steps zero", "--steps 0: must be at least 1", ["train", "good.yaml", "--steps", "0"], GoodConfig),
        C("seed not a number", "--seed x: expected a whole number", ["train", "good.yaml", "--seed", "x"], GoodConfig),
        C("seed negative", "--seed -3: must not be negative", ["train", "good.yaml", "--seed", "-3"], GoodConfig),
        C("seed past the config's range", "--seed 99999999999: expected a whole number from -2147483648 to 2147483647", ["train", "good.yaml", "--seed", "99999999999"], GoodConfig),
        C("a run folder with a run id", "--run-id: a run folder is resumed where it is", ["train", "{run}", "--run-id", "x"]),
        C("unknown device", "--device tpu: expected cpu, cuda or cuda:N", ["train", "good.yaml", "--device", "tpu"], GoodConfig),
        C("CUDA without CUDA", "--device cuda: CUDA is not available", ["train", "good.yaml", "--device", "cuda"], GoodConfig),
        C("baselines on an unknown device", "--device gpu: expected cpu, cuda or cuda:N", ["eval", "--task", "linear_regression", "--n-dims", "3", "--points", "5", "--examples", "8", "--device", "gpu"]),
        C("predicting without a run on CUDA without CUDA", "--device cuda: CUDA is not available", ["predict", "--context", "c.csv", "--query", "q.csv", "--device", "cuda"]),
        C("run id with a path", "--run-id 'a/b': expected a plain folder name", ["train", "good.yaml", "--run-id", "a/b"], GoodConfig),
        C("out is a file", "is a file, expected a folder for runs", ["train", "good.yaml", "--out", "taken"], dir => { GoodConfig(dir); File.WriteAllText(Path.Combine(dir, "taken"), "x"); }),
        C("unknown command", "trian", ["trian"]),
        C("unknown option", "--stepz", ["train", "good.yaml", "--stepz", "3"], GoodConfig),
        C("unknown option where a config may stand", "--bogus: not an option of icl train (icl train --help lists them)", ["train", "--bogus"]),
        C("unknown option where a sweep folder may stand", "--bogus: not an option of icl sweep status", ["sweep", "status", "--bogus"]),
        C("a value not among the accepted ones", "--format jpg: expected png or svg", ["plot", "{run}", "--format", "jpg"]),
        C("eval with nothing to evaluate", "give a run folder, or --task", ["eval"]),
        C("eval of an unknown task", "--task cubic: unknown", ["eval", "--task", "cubic"]),
        C("eval of an unknown evaluation", "--strategies 'cubic': unknown evaluation", ["eval", "--task", "linear_regression", "--n-dims", "3", "--points", "5", "--strategies", "cubic"]),
        C("eval of an evaluation that does not apply", "'skewed': does not apply to decision_tree", ["eval", "--task", "decision_tree", "--n-dims", "3", "--points", "5", "--strategies", "skewed"]),
        C("eval of an unknown model", "--models 'cubic_spline': unknown model", ["eval", "--task", "linear_regression", "--n-dims", "3", "--points", "5", "--models", "cubic_spline"]),
        C("eval of the transformer without a run", "--models 'transformer': needs a run folder", ["eval", "--task", "linear_regression", "--n-dims", "3", "--points", "5", "--models", "transformer"]),
        // libtorch's allocator failed on the shifts' d × d transformations: "internal error (ExternalException): DefaultCPUAllocator: can't allocate memory"
        C("eval of more dims than memory holds", "error: evaluating linear_regression(scale=1), d=1000000, 3 points needs about 64 TB (the shifts' random d × d input transformations: 64 TB), more than the ",
            ["eval", "--task", "linear_regression", "--n-dims", "1000000", "--points", "3"]),
        C("eval in batches larger than memory holds", "error: evaluating linear_regression(scale=1), d=3, 3 points needs about 576 GB (a batch of prompts: 576 GB), more than the ",
            ["eval", "--task", "linear_regression", "--n-dims", "3", "--points", "3", "--examples", "2000000000", "--batch-size", "2000000000"]),
        C("eval of a run in batches larger than memory holds", "the transformer's activations for a batch: ", ["eval", "{run}", "--examples", "2000000000", "--batch-size", "2000000000"]),
        C("eval of no prompts", "--examples and --batch-size must be at least 1", ["eval", "--task", "linear_regression", "--examples", "0"]),
        C("eval of a folder that does not exist", "run folder not found", ["eval", "nowhere"]),
        C("eval of a folder without config", "not a run folder (no config.yaml)", ["eval", "empty"], dir => Directory.CreateDirectory(Path.Combine(dir, "empty"))),
        C("eval of a step not kept", "no checkpoint for step 7 (kept steps: none)", ["eval", "{run}", "--step", "7"]),
        C("eval writing where a file is", "taken: is a file, expected a folder", ["eval", "--task", "linear_regression", "--n-dims", "3", "--points", "5", "--examples", "8", "--out", "taken"],
            WriteFile("taken", "x")),
        C("probe past n_positions", "--points 1000: the model reads prompts of 1 to n_positions = 9 points", ["probe", "{run}", "--points", "1000"]),
        C("probe with a zero scale", "--scale-x 0: expected a positive number", ["probe", "{run}", "--scale-x", "0"]),
        C("probe with an unknown strategy", "--strategy sideways: unknown", ["probe", "{run}", "--strategy", "sideways"]),
        C("probe figure of an unknown format", "--plot f.gif: expected a file name ending in .png or .svg", ["probe", "{run}", "--plot", "f.gif"]),
        C("probe scaling a class without scale", "--scale-y 2: decision_tree has no output scale", ["probe", "{run}", "--task", "decision_tree", "--scale-y", "2"]),
        C("probe with negative noise", "--noise -1: expected a number ≥ 0", ["probe", "{run}", "--noise", "-1"]),
        C("probe with more dims than the model", "--n-dims 9: the model takes 1 to n_dims = 4", ["probe", "{run}", "--n-dims", "9"]),
        C("probe sweep of scales through zero", "--scale-x 0:4:5: a range of scales runs between positive numbers", ["probe", "{run}", "--scale-x", "0:4:5"]),
        C("probe sweep without a count", "--noise 0:1: expected a number, or start:end:count", ["probe", "{run}", "--noise", "0:1"]),
        C("probe sweeping two shifts", "--noise is a range too; a probe sweeps one shift at a time", ["probe", "{run}", "--scale-x", "0.5:2:3", "--noise", "0:1:3"]),
        C("probe sweep past n_positions", "--points 14: the model reads prompts of 1 to n_positions = 9 points", ["probe", "{run}", "--points", "7:20:3"]),
        C("examples columns that are not numbers", "--k few: expected 'all' or numbers of in-context examples", ["eval", "--task", "linear_regression", "--k", "few"]),
        C("examples columns with an empty entry", "--k 1,,3: expected 'all' or numbers of in-context examples", ["eval", "--task", "linear_regression", "--k", "1,,3"]),
        // k counts the examples before a prediction: 7-point prompts have 0 to 6; more were dropped without a word, eval then wrote metrics.json
        C("probe columns past the prompts", "--k 7: expected 0 to 6 in-context examples (the prompts have 7 points)", ["probe", "{run}", "--k", "0,6,7"]),
        C("probe columns past longer prompts", "--k 99: expected 0 to 8 in-context examples (the prompts have 9 points)", ["probe", "{run}", "--points", "9", "--k", "99"]),
        C("probe sweep columns past its shortest prompts", "--k 8: expected 0 to 6 in-context examples (the prompts have 7 points)", ["probe", "{run}", "--points", "7:9:3", "--k", "8"]),
        C("eval columns past the run's prompts", "--k 7: expected 0 to 6 in-context examples (the prompts have 7 points)", ["eval", "{run}", "--k", "7"]),
        C("eval columns past the baselines' prompts", "--k 5: expected 0 to 4 in-context examples (the prompts have 5 points)", ["eval", "--task", "linear_regression", "--n-dims", "3", "--points", "5", "--k", "5"]),
        C("accuracy relative to predicting 0", "--relative-to-zero: accuracy is not an error", ["eval", "--task", "linear_classification", "--n-dims", "3", "--points", "5", "--examples", "8", "--relative-to-zero"]),
        C("limits of a run never trained", "no checkpoint (state.pt)", ["limits", "empty"], dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "empty"));
            File.WriteAllText(Path.Combine(dir, "empty", "config.yaml"), TinyConfig);
        }),
        C("identify of a run never trained", "no checkpoint (state.pt)", ["identify", "empty"], dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "empty"));
            File.WriteAllText(Path.Combine(dir, "empty", "config.yaml"), TinyConfig);
        }),
        C("identify under a file", "afile: is a file, expected a folder", ["identify", "{run}", "--out", "afile/identify"], WriteFile("afile", "x")),
        C("identify with too few queries", "--queries 3: at least 2 × the 4 active dims = 8", ["identify", "{run}", "--queries", "3"]),
        C("identify sweeping several runs", "--scale-x is a range: identify sweeps a shift for one run at a time", ["identify", "{run}", "{run}", "--scale-x", "1:2:2"]),
        C("probe-layers under a file", "afile: is a file, expected a folder", ["probe-layers", "{run}", "--out", "afile/probes"], WriteFile("afile", "x")),
        C("probe-layers with too few prompts", "--train-prompts 4: at least 10", ["probe-layers", "{run}", "--train-prompts", "4"]),
        C("dMMSE of a run without a task pool", "--models 'dmmse': the posterior mean over a run's task pool", ["eval", "{run}", "--models", "dmmse"]),
        // ran for minutes with no output, its memory climbing past 7 GB
        C("predict with a billion permutations", "--permutations 1000000000: at most 1000; the mean over that many random orders", ["predict", "{run}", "--context", "c.csv", "--query", "q.csv", "--permutations", "1000000000"]),
        // hung for over 90 s with no output, creating the threads
        C("threads past the processors", $"--threads 100000: at most {4 * Environment.ProcessorCount}, 4 × the {Environment.ProcessorCount} processor", ["train", "good.yaml", "--threads", "100000"], GoodConfig),
        C("predict with zero permutations", "--permutations 0: must be at least 1", ["predict", "{run}", "--context", "c.csv", "--query", "q.csv", "--permutations", "0"]),
        C("predict standardizing without a run", "--standardize rescales to a run's training distribution", ["predict", "--context", "c.csv", "--query", "q.csv", "--standardize"]),
        C("export over an existing file", "already exists; nothing overwritten", ["export", "{run}", "--out", "taken.pt"], WriteFile("taken.pt", "x")),
        C("export under a file", "afile: is a file, expected a folder", ["export", "{run}", "--out", "afile/m.pt"], WriteFile("afile", "x")),
        C("report under a file", "afile: is a file, expected a folder", ["report", "{run}", "--out", "afile/r.html"], WriteFile("afile", "x")),
        C("figures under a file", "afile: is a file, expected a folder", ["plot", "{run}", "--out", "afile/plots"], WriteFile("afile", "x")),
        C("import into a folder that holds files", "already holds files; nothing overwritten", ["import", "paper", "--out", "full"], dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "full"));
            File.WriteAllText(Path.Combine(dir, "full", "notes.txt"), "mine");
            Directory.CreateDirectory(Path.Combine(dir, "paper"));
            foreach (var f in Directory.GetFiles(TestPaths.ReferenceRun)) File.Copy(f, Path.Combine(dir, "paper", Path.GetFileName(f)));
        }),
        C("bench of zero steps", "--steps 0: must be at least 1", ["bench", "train", "--steps", "0"]),
        C("bench of negative steps", "--steps -3: must be at least 1", ["bench", "train", "--steps", "-3"]),
        C("bench of an unknown size", "--sizes huge: unknown (valid: tiny, small, standard)", ["bench", "train", "--sizes", "huge"]),
        C("bench eval of no prompts", "--examples 0: must be at least 1", ["bench", "eval", "--examples", "0"]),
        C("bench eval of negative prompts", "--examples -1: must be at least 1", ["bench", "eval", "--examples", "-1"]),
        C("bench eval of an unknown workload", "--workloads nope: unknown (valid: decision_tree, sparse_linear_regression, linear_regression)", ["bench", "eval", "--workloads", "nope"]),
        C("bench eval of a known and an unknown workload", "--workloads lasso: unknown", ["bench", "eval", "--workloads", "linear_regression,lasso"]),
        C("plot of a run never evaluated", "metrics.json: not found; evaluate the run first", ["plot", "{run}"]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Is_refused_in_one_line_and_writes_nothing(MalformedInput c) => Check(c);
}

/// <summary>Data files icl reads (CSVs, checkpoints, metrics, logs) that are broken: the file and row named, exit 2, nothing changed.</summary>
public class MalformedFileTests
{
    static MalformedInput Predict(string name, string says, string context, string query = "x1,x2\n0.5,1\n") =>
        new(name, ["predict", "--context", "c.csv", "--query", "q.csv"], says, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "c.csv"), context);
            File.WriteAllText(Path.Combine(dir, "q.csv"), query);
        });

    static MalformedInput RunFile(string name, string[] args, string says, string file, byte[] bytes) =>
        new(name, args, says, dir =>
        {
            var run = Path.Combine(dir, "run");
            Directory.CreateDirectory(run);
            foreach (var f in Directory.GetFiles(Probing.ProbingRun.Dir)) File.Copy(f, Path.Combine(run, Path.GetFileName(f)));
            if (file == "train_log.csv") File.WriteAllText(Path.Combine(run, "metrics.json"), ValidMetrics);
            File.WriteAllBytes(Path.Combine(run, file), bytes);
        });

    /// <summary>A metrics.json entry of <paramref name="positions"/> positions (the small run's prompts have 7 points), <paramref name="mean"/> values in its mean.</summary>
    static string Metrics(int positions, int? mean = null)
    {
        string Values(int n, double v) => "[" + string.Join(", ", Enumerable.Repeat(v.ToString(System.Globalization.CultureInfo.InvariantCulture), n)) + "]";
        return "{\"standard\": {\"transformer\": {" + $"\"mean\": {Values(mean ?? positions, 2)}, \"std\": {Values(positions, 1)}, "
               + $"\"bootstrap_low\": {Values(positions, 1.5)}, \"bootstrap_high\": {Values(positions, 2.5)}" + "}}}";
    }

    static readonly string ValidMetrics = Metrics(7);

    static byte[] Text(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    public static TheoryData<MalformedInput> Cases => new()
    {
        Predict("context without y", "c.csv: line 1 (header): missing column 'y'", "x1,x2\n1,2\n"),
        Predict("context with a binary header", "c.csv: line 1 (header), column 1: expected 'x1', found '\\x01\\x02", "\u0001\u0002\u001b[31m,y\n1,2\n"),
        Predict("a cell that is not a number", "c.csv: row 1 (line 2), column 2 'x2': expected a finite number, found 'abc'", "x1,x2,y\n1,abc,3\n"),
        Predict("NaN in the context", "expected a finite number, found 'NaN'", "x1,x2,y\n1,NaN,3\n"),
        Predict("a row missing a value", "c.csv: row 2 (line 3): missing column 3 'y'", "x1,x2,y\n1,2,3\n1,2\n"),
        Predict("a row with a value too many", "c.csv: row 1 (line 2), column 4: extra value '9'", "x1,x2,y\n1,2,3,9\n"),
        Predict("queries with fewer columns", "q.csv: line 1 (header): missing column 'x2'", "x1,x2,y\n1,2,3\n", "x1\n1\n"),
        Predict("an empty context", "c.csv: line 1: expected a header", ""),
        Predict("a header and no rows", "c.csv: no data rows", "x1,x2,y\n"),
        Predict("a number past float32", "within ±3.4e38", "x1,x2,y\n1,1e39,3\n"),
        new("a folder as the context", ["predict", "--context", "c.csv", "--query", "q.csv"], "c.csv: is a folder, expected a CSV file",
            dir => { Directory.CreateDirectory(Path.Combine(dir, "c.csv")); File.WriteAllText(Path.Combine(dir, "q.csv"), "x1\n1\n"); }),
        new("a context file that does not exist", ["predict", "--context", "c.csv", "--query", "q.csv"], "c.csv: file not found", WriteFile("q.csv", "x1\n1\n")),
        new("more dims than the model", ["predict", "{run}", "--context", "c.csv", "--query", "q.csv"], "5 input columns x1..x5; the model takes at most n_dims = 4", dir =>
        {
            File.WriteAllText(Path.Combine(dir, "c.csv"), "x1,x2,x3,x4,x5,y\n1,2,3,4,5,6\n");
            File.WriteAllText(Path.Combine(dir, "q.csv"), "x1,x2,x3,x4,x5\n1,2,3,4,5\n");
        }),
        new("predictions written onto a folder", ["predict", "--context", "c.csv", "--query", "q.csv", "--format", "csv", "--out", "taken"], "taken: is a folder, expected a file name", dir =>
        {
            File.WriteAllText(Path.Combine(dir, "c.csv"), "x1,y\n1,2\n");
            File.WriteAllText(Path.Combine(dir, "q.csv"), "x1\n1\n");
            Directory.CreateDirectory(Path.Combine(dir, "taken"));
        }),
        RunFile("a truncated state.pt on resume", ["train", "run"], "state.pt: not a readable PyTorch checkpoint", "state.pt",
            File.ReadAllBytes(Path.Combine(Probing.ProbingRun.Dir, "state.pt"))[..4000]),
        RunFile("a state.pt that is not a checkpoint", ["eval", "run"], "state.pt: not a PyTorch checkpoint", "state.pt", Text("hello")),
        RunFile("an empty state.pt", ["eval", "run"], "state.pt: not a PyTorch checkpoint", "state.pt", []),
        RunFile("a malformed metrics.json", ["eval", "run", "--examples", "8"], "metrics.json: not a metrics.json", "metrics.json", Text("{ not json")),
        RunFile("a metrics.json of the wrong shape", ["plot", "run"], "metrics.json: not a metrics.json", "metrics.json", Text("{\"standard\": {\"transformer\": {\"mean\": [1]}}}")),
        // a metrics.json edited by hand or cut short was read and shown as it was
        RunFile("a mean shorter than its prompts", ["plot", "run"],
            "metrics.json: not a metrics.json (standard.transformer: std has 7 values where mean has 3; expected one value per position in each)", "metrics.json", Text(Metrics(7, mean: 3))),
        RunFile("metrics of shorter prompts than the run's, shown", ["report", "run", "--out", "r.html"],
            "metrics.json: standard.transformer has 3 positions, expected 7, one per point of the 7-point prompts evaluated; recompute the evaluation to replace it", "metrics.json", Text(Metrics(3))),
        RunFile("metrics of shorter prompts than the run's, reused", ["eval", "run", "--examples", "8", "--strategies", "standard"],
            "metrics.json: standard.transformer has 3 positions, expected 7", "metrics.json", Text(Metrics(3))),
        RunFile("an empty mean", ["plot", "run"], "metrics.json: not a metrics.json (standard.transformer: mean is empty; expected one value per position)", "metrics.json", Text(Metrics(0))),
        RunFile("a malformed train_log.csv", ["plot", "run"], "train_log.csv: line 2: loss 'x' is not a number", "train_log.csv",
            Text("step,loss,excess_loss,n_points,n_dims,seconds\n0,x,1,7,4,0.1\n")),
        RunFile("a malformed config.yaml in a run", ["eval", "run"], "config.yaml: model: required key is missing", "config.yaml", Text("training: {}\n")),
        RunFile("a report of a run never evaluated", ["report", "run", "--out", "r.html"], "metrics.json: not found; evaluate the run first", "notes.txt", Text("nothing")),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Is_refused_in_one_line_and_writes_nothing(MalformedInput c) => Check(c);
}
