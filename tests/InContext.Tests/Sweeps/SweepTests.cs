using InContext.Evaluation;
using InContext.Sweeps;
using InContext.Training;
using Xunit;
using InContext.Native;
using InContext.Storage;

namespace InContext.Tests.Sweeps;

/// <summary>A sweep file's grid: its expansion, run ids, validation, folder and status, in process.</summary>
public class SweepTests
{
    [Fact]
    public void The_grid_expands_to_every_combination_with_readable_ids_in_order()
    {
        var dir = TestPaths.TempDir();
        var tiny = TestPaths.Conf("models/tiny.yaml").Replace('\\', '/');
        var file = SweepFiles.Write(dir, $$"""
            inherit: base.yaml
            name: grid
            training: {learning_rate: 0.002}
            grid:
              training.task: [linear_regression, sparse_linear_regression]
              model: [{{tiny}}]
              training.seed: [1, 2]
            """, SweepFiles.Base().Replace("  task_kwargs: {sparsity: 2}\n", ""));
        var sweep = Sweep.Load(file);

        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "runs", "grid"), sweep.Folder);   // no out_dir: ./runs/<name>
        Assert.Equal(
            ["task=linear_regression,seed=1", "task=linear_regression,seed=2", "task=sparse_linear_regression,seed=1", "task=sparse_linear_regression,seed=2"],
            sweep.Runs.Select(r => r.Id));   // the single-valued model axis is no part of the id; the last axis varies fastest
        Assert.Equal([0, 1, 2, 3], sweep.Runs.Select(r => r.Index));
        var run = sweep.Runs[2].Config;
        Assert.Equal("sparse_linear_regression", run.Training.Task);
        Assert.Equal(1, run.Training.Seed);
        Assert.Equal(0.002, run.Training.LearningRate);                      // the sweep's own keys
        Assert.Equal((64, 3, 2), (run.Model.NEmbd, run.Model.NLayer, run.Model.NHead));   // the model file, merged in
        Assert.Equal((3, 6), (run.Model.NDims, run.Model.NPositions));       // ... over the base's other model keys
        Assert.Equal("task=sparse_linear_regression,seed=1", run.Wandb.Name);
        Assert.Equal("..", run.OutDir);                                      // the run's folder is in the sweep's folder
        Assert.Equal([new("training.task", "sparse_linear_regression"), new("model", "tiny"), new KeyValuePair<string, string>("training.seed", "1")], sweep.Runs[2].Settings);

        // the same file gives the same ids, and out_dir / --out place the sweep's folder
        Assert.Equal(sweep.Runs.Select(r => r.Id), Sweep.Load(file).Runs.Select(r => r.Id));
        Assert.Equal(Path.Combine(dir, "elsewhere", "grid"), Sweep.Load(file, Path.Combine(dir, "elsewhere")).Folder);
        File.AppendAllText(file, "\nout_dir: sweeps\n");
        Assert.Equal(Path.Combine(dir, "sweeps", "grid"), Sweep.Load(file).Folder);
    }

    [Fact]
    public void The_papers_sweep_is_its_twelve_training_runs()
    {
        var sweep = Sweep.Load(Path.Combine(TestPaths.RepoRoot, "conf", "sweeps", "paper.yaml"));
        Assert.Equal(12, sweep.Runs.Count);
        Assert.Equal(Path.Combine(TestPaths.RepoRoot, "runs", "paper"), sweep.Folder);
        string[] tasks = ["linear_regression", "sparse_linear_regression", "decision_tree", "relu_2nn_regression"];
        string[] sizes = ["tiny", "small", "standard"];
        Assert.Equal(tasks.SelectMany(t => sizes.Select(s => $"config={t},model={s}")), sweep.Runs.Select(r => r.Id));
        foreach (var run in sweep.Runs)
        {
            // each run is exactly the paper's config of its task with its model size
            var paper = RunConfig.Load(TestPaths.Conf(run.Settings[0].Value + ".yaml"));
            var size = (Dictionary<string, object?>)YamlTree.LoadWithInherit(TestPaths.Conf($"models/{run.Settings[1].Value}.yaml"))["model"]!;
            var c = run.Config;
            Assert.Equal(paper.Training, c.Training with { TaskKwargs = paper.Training.TaskKwargs });
            Assert.Equal(paper.Training.TaskKwargs, c.Training.TaskKwargs);
            Assert.Equal(500001, c.Training.TrainSteps);
            Assert.Equal(paper.Model with { NEmbd = 0, NLayer = 0, NHead = 0 }, c.Model with { NEmbd = 0, NLayer = 0, NHead = 0 });   // d=20, 101 positions
            Assert.Equal(
                [((YamlTree.Scalar)size["n_embd"]!).Text, ((YamlTree.Scalar)size["n_layer"]!).Text, ((YamlTree.Scalar)size["n_head"]!).Text],
                [c.Model.NEmbd.ToString(), c.Model.NLayer.ToString(), c.Model.NHead.ToString()]);
        }
        Assert.Equal("cuda", sweep.Slurm.Device);
        Assert.Equal(1, sweep.Slurm.GpusPerTask);

        // and docs/sweeps.md's example: the quickstart, 500 steps, two tasks by two seeds
        var example = Sweep.Load(Path.Combine(TestPaths.RepoRoot, "conf", "sweeps", "example.yaml"));
        Assert.Equal(["task=linear_regression,seed=0", "task=linear_regression,seed=1", "task=sparse_linear_regression,seed=0", "task=sparse_linear_regression,seed=1"],
            example.Runs.Select(r => r.Id));
        Assert.All(example.Runs, r => Assert.Equal((500, 5, 64), (r.Config.Training.TrainSteps, r.Config.Model.NDims, r.Config.Model.NEmbd)));
    }

    [Theory]
    [InlineData("task-diversity-cpu.yaml", 4, 9, 64, 4000, 2)]
    [InlineData("task-diversity-gpu.yaml", 8, 16, 128, 50000, 1)]
    public void The_task_diversity_sweeps_are_pool_sizes_up_to_2_to_the_14_and_unlimited_by_three_seeds(string file, int d, int points, int width, int steps, int log2Factor)
    {
        var sweep = Sweep.Load(Path.Combine(TestPaths.RepoRoot, "conf", "sweeps", file));
        // The GPU sweep: 2, 4, ..., 2^14 (a factor of 2, as Raventós et al.); the CPU one: 1, 4, ..., 2^14 (a factor of 4).
        int?[] pools = [.. Enumerable.Range(0, 15).Where(e => e % log2Factor == 0 && (log2Factor > 1 || e > 0)).Select(e => (int?)(1 << e)), null];
        Assert.Equal(pools.SelectMany(k => new[] { 0, 1, 2 }.Select(seed => $"num_tasks={k?.ToString() ?? "null"},seed={seed}")), sweep.Runs.Select(r => r.Id));
        foreach (var run in sweep.Runs)
        {
            var c = run.Config;
            Assert.Equal("noisy_linear_regression", c.Training.Task);
            var task = c.CreateTask();
            Assert.Equal(0.25, task.NoiseVariance);                     // Raventós et al.'s noise
            Assert.Equal(0.25, task.BayesRidgePenalty);
            Assert.Equal((d, points, points, width, steps), (c.Model.NDims, c.Model.NPositions, c.Training.Curriculum.Points.End, c.Model.NEmbd, c.Training.TrainSteps));
            Assert.Equal(d, c.Training.Curriculum.Dims.Start);          // no curriculum: every step at the full size
            Assert.Equal(points, c.Training.Curriculum.Points.Start);
        }
    }

    [Fact]
    public void Every_bad_key_is_named_by_its_path_on_its_own_line_before_anything_is_written()
    {
        var dir = TestPaths.TempDir();
        var file = SweepFiles.Write(dir, """
            inherit: base.yaml
            out_dir: out
            grid:
              training.tsk: [a]
              model.n_emb: [8, 16]
              training.seed: [1, 1]
              wandb: 5
              out_dir: [x]
              training.learning_rate.x: [1]
            """);
        var e = Assert.Throws<SweepException>(() => Sweep.Load(file));
        Assert.Equal(6, e.Problems.Count);
        Assert.Contains($"{file}: grid.training.tsk: unknown key (training has: task, ", e.Problems[0]);
        Assert.EndsWith("did you mean training.task?", e.Problems[0]);
        Assert.StartsWith($"{file}: grid.model.n_emb: unknown key", e.Problems[1]);
        Assert.EndsWith("did you mean model.n_embd?", e.Problems[1]);
        Assert.Equal($"{file}: grid.training.seed[1]: '1' given twice", e.Problems[2]);
        Assert.Equal($"{file}: grid.wandb: expected a list of values, found '5'", e.Problems[3]);
        Assert.StartsWith($"{file}: grid.out_dir: belongs to the sweep", e.Problems[4]);
        Assert.Equal($"{file}: grid.training.learning_rate.x: training.learning_rate is a value, not a section", e.Problems[5]);
        Assert.All(e.Problems, p => Assert.DoesNotContain('\n', p));
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void Every_combination_is_validated_and_its_problems_name_the_runs_or_the_value_they_share()
    {
        var dir = TestPaths.TempDir();
        var file = SweepFiles.Write(dir, """
            inherit: base.yaml
            grid:
              training.task: [linear_regression, nope]
              model.n_head: [2, 3]
              model.n_embd: [16, 18]
            """, SweepFiles.Base().Replace("  task_kwargs: {sparsity: 2}\n", ""));
        var e = Assert.Throws<SweepException>(() => Sweep.Load(file, Path.Combine(dir, "out")));
        Assert.Equal(
            [
                $"{file}: run task=linear_regression,n_head=3,n_embd=16: model.n_embd: must be divisible by n_head (3), found 16",
                $"{file}: grid.training.task = nope (every run with it): training.task: 'nope' is not one of {string.Join(", ", TaskRegistry.Names)}",
            ], e.Problems);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));

        // a problem of the base that every run has is said once, without a run, naming the file that wrote the key
        file = SweepFiles.Write(dir, "inherit: base.yaml\ngrid: {training.seed: [1, 2]}\n", SweepFiles.Base().Replace("batch_size: 8", "batch_size: 0"));
        e = Assert.Throws<SweepException>(() => Sweep.Load(file));
        Assert.Equal([$"{Path.Combine(dir, "base.yaml")}: training.batch_size: must be at least 1, found 0"], e.Problems);

        // ... and so is one of a config file the grid picks, for the runs that pick it
        File.WriteAllText(Path.Combine(dir, "odd.yaml"), "model: {n_head: 3}\n");
        File.WriteAllText(Path.Combine(dir, "even.yaml"), "model: {n_head: 4}\n");
        file = SweepFiles.Write(dir, "inherit: base.yaml\ngrid: {model: [even.yaml, odd.yaml], training.seed: [1, 2]}\n");
        e = Assert.Throws<SweepException>(() => Sweep.Load(file));
        Assert.Equal([$"{file}: grid.model = odd (every run with it): {Path.Combine(dir, "base.yaml")}: model.n_embd: must be divisible by n_head (3), found 16"], e.Problems);
        File.WriteAllText(Path.Combine(dir, "odd.yaml"), "model: {n_head: 3, n_embd: 16}\n");
        e = Assert.Throws<SweepException>(() => Sweep.Load(file));
        Assert.Equal([$"{file}: grid.model = odd (every run with it): {Path.Combine(dir, "odd.yaml")}: model.n_embd: must be divisible by n_head (3), found 16"], e.Problems);

        // a grid value overriding the base's is the sweep file's
        file = SweepFiles.Write(dir, "inherit: base.yaml\ngrid: {training.batch_size: [0]}\n");
        e = Assert.Throws<SweepException>(() => Sweep.Load(file));
        Assert.Equal([$"{file}: training.batch_size: must be at least 1, found 0"], e.Problems);

        // a task's own keyword arguments are checked by the task, per run
        file = SweepFiles.Write(dir, "inherit: base.yaml\ngrid: {training.task_kwargs.sparsity: [2, 9]}\n");
        e = Assert.Throws<SweepException>(() => Sweep.Load(file));
        Assert.Single(e.Problems);
        Assert.StartsWith($"{file}: grid.training.task_kwargs.sparsity = 9 (every run with it): training.task_kwargs.sparsity:", e.Problems[0]);
    }

    [Fact]
    public void The_grid_itself_and_its_files_are_checked()
    {
        var dir = TestPaths.TempDir();
        var file = SweepFiles.Write(dir, "inherit: base.yaml\n");
        Assert.StartsWith($"{file}: grid: required", Assert.Throws<SweepException>(() => Sweep.Load(file)).Problems.Single());

        File.WriteAllText(Path.Combine(dir, "wide.yaml"), "model: {n_embd: 32}\ntraining: {seed: 4}\n");
        file = SweepFiles.Write(dir, "inherit: base.yaml\ngrid:\n  model: [wide.yaml, missing.yaml]\n  training.seed: []\n");
        var e = Assert.Throws<SweepException>(() => Sweep.Load(file));
        Assert.Equal(
            [
                $"{file}: grid.training.seed: expected a list of values, found an empty list",
                $"{Path.Combine(dir, "wide.yaml")}: training.seed: outside model; a file given in grid.model may set only keys under model",
                $"{Path.Combine(dir, "missing.yaml")}: file not found (named in grid.model)",
            ], e.Problems);
        file = SweepFiles.Write(dir, "inherit: base.yaml\nslurm: {time: 10, cpus: 2}\ngrid: {training.seed: [1]}\n");
        Assert.StartsWith($"{file}: slurm.cpus: unknown key", Assert.Throws<SweepException>(() => Sweep.Load(file)).Problems.Single());
    }

    [Fact]
    public void Run_ids_are_safe_folder_names_unique_and_stable()
    {
        Assert.Equal("task=a_b,lr=0.001", Sweep.RunId([("task", "a/b"), ("lr", "0.001")]));
        Assert.Equal("notes=a_b_c", Sweep.RunId([("notes", "a b\tc")]));
        var longId = Sweep.RunId([("notes", new string('x', 300))]);
        Assert.Equal(Sweep.MaxIdLength, longId.Length);
        Assert.Equal(longId, Sweep.RunId([("notes", new string('x', 300))]));
        Assert.NotEqual(longId, Sweep.RunId([("notes", new string('x', 299) + "y")]));

        var dir = TestPaths.TempDir();
        // values that differ only in characters a folder name cannot keep
        var file = SweepFiles.Write(dir, "inherit: base.yaml\ngrid: {wandb.notes: ['a/b', 'a b']}\n");
        var e = Assert.Throws<SweepException>(() => Sweep.Load(file));
        Assert.Equal($"{file}: grid: wandb.notes=a/b and wandb.notes=a b give the same run id 'notes=a_b'; make the values differ in letters or digits", e.Problems.Single());
        // two axes with the same last name are named in full; mappings and lists read as key-value pairs
        file = SweepFiles.Write(dir, """
            inherit: base.yaml
            grid:
              training.curriculum.dims.end: [2, 3]
              training.curriculum.points.end: [5, 6]
              training.task_kwargs: [{sparsity: 1}, {sparsity: 2}]
            """);
        Assert.Equal("training.curriculum.dims.end=2,training.curriculum.points.end=5,task_kwargs=sparsity-1", Sweep.Load(file).Runs[0].Id);
    }

    [Fact]
    public void The_folder_is_written_once_a_started_run_keeps_its_config_and_status_reads_each_run()
    {
        var dir = TestPaths.TempDir();
        var file = SweepFiles.Write(dir, "inherit: base.yaml\nout_dir: out\ngrid: {training.seed: [1, 2, 3]}\n");
        var folder = SweepFolder.Prepare(Sweep.Load(file));
        Assert.Equal(["seed=1", "seed=2", "seed=3"], File.ReadAllLines(folder.RunsPath));
        Assert.True(File.Exists(Path.Combine(folder.Path, SweepFolder.SweepFileName)));
        Assert.Equal(2, folder.Run("seed=2").LoadConfig().Training.Seed);
        Assert.Equal(folder.RunIds, SweepFolder.Open(folder.Path).RunIds);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp", SearchOption.AllDirectories));

        // not started: all zero; trained 6 of 10 steps in process: state.pt's step and the log's loss
        Assert.Equal(new RunProgress("seed=1", folder.Run("seed=1").Path, 0, 20, null, false, null, null), folder.Status()[0]);
        var config = folder.Run("seed=1").LoadConfig();
        using (var trainer = new Trainer(config, folder.Run("seed=1"))) trainer.Train(6);
        var progress = folder.Status()[0];
        Assert.Equal((6, 20, false, false), (progress.StepsDone, progress.TotalSteps, progress.Trained, progress.Evaluated));
        Assert.Equal(TrainingLog.Read(folder.Run("seed=1").TrainLogPath)[^1].Loss, progress.LastLoss);
        Assert.True(progress.Started);

        // trained to the end and evaluated (any number of prompts) on that very checkpoint
        using (var trainer = new Trainer(config, folder.Run("seed=1"))) trainer.Train();
        Assert.True(folder.Status()[0].Trained);
        Assert.False(folder.Status()[0].Evaluated);
        RunEvaluation.EvaluateRun(folder.Run("seed=1"), new EvaluationRequest(Settings: new EvaluationSettings(64, 64)));
        Assert.True(folder.Status()[0].Evaluated);
        // a run whose lock a process here holds is running, and the status names the process
        using (folder.Run("seed=2").Lock("training"))
            Assert.StartsWith($"process {Environment.ProcessId} on {Environment.MachineName} (training, since ", folder.Status()[1].Holder);
        Assert.Null(folder.Status()[1].Holder);

        // a failed command's error.txt: its "error:" line
        File.WriteAllText(Path.Combine(folder.Run("seed=3").Path, RunFolder.ErrorFileName), "warning: x\nerror: /x/state.pt: not a PyTorch checkpoint\n\n");
        Assert.Equal("error: /x/state.pt: not a PyTorch checkpoint", folder.Status()[2].Error);
        Assert.True(folder.Status()[2].Failed);

        // preparing again changes nothing; a changed sweep rewrites the runs that have not started
        // and refuses, naming the key, to change one that has
        var before = File.ReadAllText(folder.Run("seed=1").ConfigPath);
        SweepFolder.Prepare(Sweep.Load(file));
        File.WriteAllText(file, "inherit: base.yaml\nout_dir: out\ntraining: {batch_size: 4}\ngrid: {training.seed: [1, 2, 3]}\n");
        var e = Assert.Throws<SweepException>(() => SweepFolder.Prepare(Sweep.Load(file)));
        Assert.StartsWith($"{folder.Run("seed=1").ConfigPath}: training.batch_size: 8 in the run, 4 in the sweep: the run has started", e.Problems.Single());
        Assert.Equal(before, File.ReadAllText(folder.Run("seed=1").ConfigPath));
        Assert.Equal(8, folder.Run("seed=2").LoadConfig().Training.BatchSize);   // nothing written
        File.WriteAllText(file, "inherit: base.yaml\nout_dir: out\ngrid: {training.seed: [2, 3]}\ntraining: {batch_size: 4}\n");
        SweepFolder.Prepare(Sweep.Load(file));
        Assert.Equal(4, folder.Run("seed=2").LoadConfig().Training.BatchSize);
        Assert.Equal(["seed=2", "seed=3"], SweepFolder.Open(folder.Path).RunIds);

        // a checkpoint trained further is not the one evaluated
        using (var trainer = new Trainer(config, folder.Run("seed=1"))) trainer.Train(21);
        Assert.False(RunProgress.Of(folder.Run("seed=1")).Evaluated);
        Assert.Equal((21, 21), (RunProgress.Of(folder.Run("seed=1")).StepsDone, RunProgress.Of(folder.Run("seed=1")).TotalSteps));
    }

    [Fact]
    public void The_step_is_read_from_the_pickle_alone_as_a_full_read_finds_it()
    {
        foreach (var path in new[] { Path.Combine(TestPaths.ReferenceRun, "state.pt") })
        {
            using var contents = PyTorchCheckpoint.Read(path);
            Assert.Equal(contents.TrainStep, CheckpointStep.TryPeek(path));
        }
        var dir = TestPaths.TempDir();
        var config = RunConfig.Parse(SweepFiles.Base(steps: 300, saveEvery: 1000));
        using (var trainer = new Trainer(config, new RunFolder(Path.Combine(dir, "r")))) trainer.Train();   // a step past 255: two bytes
        Assert.Equal(299, CheckpointStep.TryPeek(Path.Combine(dir, "r", RunFolder.StateFileName)));
        Assert.Null(CheckpointStep.TryPeek(Path.Combine(dir, "r", RunFolder.ConfigFileName)));
    }

    [Fact]
    public void The_batch_script_runs_each_task_on_its_run_with_this_icl_and_passes_SIGTERM_on()
    {
        var icl = IclProgram.Of("/usr/share/dotnet/dotnet", "/opt/icl it's/icl.dll");
        Assert.Equal("'/usr/share/dotnet/dotnet' '/opt/icl it'\\''s/icl.dll'", icl.ShellWords);
        Assert.Equal(new IclProgram("/opt/icl/icl", []), IclProgram.Of("/opt/icl/icl", "/opt/icl/icl.dll"));

        var script = SlurmSweep.Script("s", "/data/sweeps/s", [["seed=1", "seed=2"], ["seed=3"]], icl,
            new SlurmOptions(Partition: "gpu", Time: "1-00:00:00", CpusPerTask: 4, MaxParallel: 2, Device: "cpu", Setup: ["module load cuda"]));
        Assert.StartsWith("#!/bin/bash\n", script);
        foreach (var line in new[]
                 {
                     "#SBATCH --array=0-1%2", "#SBATCH --cpus-per-task=4", "#SBATCH --partition=gpu", "#SBATCH --time=1-00:00:00",
                     "#SBATCH --output=/data/sweeps/s/slurm/%A_%a.out", "#SBATCH --open-mode=append", "#SBATCH --requeue", "#SBATCH --signal=B:TERM@60",
                     "module load cuda", "ICL=('/usr/share/dotnet/dotnet' '/opt/icl it'\\''s/icl.dll')", "  'seed=1 seed=2'", "  'seed=3'",
                     "read -ra IDS <<< \"${PACKS[$SLURM_ARRAY_TASK_ID]}\"", "for id in \"${IDS[@]}\"; do RUNS+=('/data/sweeps/s'/\"$id\"); done",
                     "icl train \"${RUNS[@]}\" --no-eval --device cpu --threads \"$THREADS\"", "  icl eval \"${RUNS[@]}\" --device cpu --threads \"$THREADS\"",
                     "    scontrol requeue \"$TASK\"",
                 })
            Assert.Contains(line + "\n", script);
        // every #SBATCH line comes before the first command, or sbatch ignores it
        var lines = script.Split('\n');
        Assert.True(Array.FindLastIndex(lines, l => l.StartsWith("#SBATCH")) < Array.FindIndex(lines, l => l.Length > 0 && !l.StartsWith('#')));
        Assert.DoesNotContain("--gpus-per-task", script);

        Assert.Equal("out", Assert.Throws<ParameterException>(() => SlurmSweep.Script("s", "/data/my sweeps/s", [["a"]], icl, new SlurmOptions())).Parameter);
        Assert.Equal("time", Assert.Throws<ParameterException>(() => new SlurmOptions(Time: "1 day").Validate()).Parameter);
        Assert.Equal("partition", Assert.Throws<ParameterException>(() => new SlurmOptions(Partition: "a b").Validate()).Parameter);
        Assert.Equal("max_parallel", Assert.Throws<ParameterException>(() => new SlurmOptions(MaxParallel: 0).Validate()).Parameter);
        Assert.Equal("device", Assert.Throws<ParameterException>(() => new SlurmOptions(GpusPerTask: 1).Validate()).Parameter);
        Assert.Equal("device", Assert.Throws<ParameterException>(() => new SlurmOptions(Device: "tpu").Validate()).Parameter);
        if (NativeRuntime.TorchBackend == "cpu")
            Assert.Contains("CPU build", Assert.Throws<ParameterException>(() => new SlurmOptions(Device: "cuda", GpusPerTask: 1).Validate()).Message);
        foreach (var time in new[] { "30", "1:30:00", "2-00:00:00", "2-12", "UNLIMITED" }) new SlurmOptions(Time: time).Validate();
    }

    [Fact]
    public void A_local_sweep_splits_the_cores_between_its_runs()
    {
        Assert.Equal(8, new LocalSweepOptions(Jobs: 2, Cores: 16).ThreadsPerRun);
        Assert.Equal(5, new LocalSweepOptions(Jobs: 3, Cores: 16).ThreadsPerRun);
        Assert.Equal(1, new LocalSweepOptions(Jobs: 4, Cores: 2).ThreadsPerRun);
    }
}
