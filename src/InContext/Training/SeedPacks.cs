using InContext.Config;
using InContext.Interop;
using InContext.Storage;
using static TorchSharp.torch;

namespace InContext.Training;

/// <summary>
/// Several seeds of one config trained together as one packed model (a <see cref="Trainer"/> over
/// several runs): which runs may form a pack, the members of a config with <c>training.seeds</c>,
/// where their folders go, and training a pack whose members stand at different steps.
/// </summary>
public static class SeedPacks
{
    /// <summary>
    /// The config keys in which a pack's runs may differ: the seed, and what says where, under which
    /// name and how often to write. Everything else (model, task, data, batch, learning rate,
    /// curriculum, steps) is the computation, and must be the same for the runs to share one.
    /// </summary>
    public static readonly IReadOnlyList<string> MayDiffer =
    [
        "training.seed", "training.resume_id", "training.save_every_steps", "training.keep_every_steps",
        "out_dir", "wandb.name", "wandb.notes", "wandb.project", "wandb.entity", "wandb.log_every_steps",
    ];

    /// <summary>The folder of one seed's run under a pack's folder: <c>seed=S</c>, named as a sweep names a run that varies the seed.</summary>
    public static string MemberFolderName(long seed) => $"seed={seed}";

    /// <summary>Refuses runs that cannot train as one pack: configs that differ beyond <see cref="MayDiffer"/>, or one seed twice.</summary>
    public static void EnsurePackable(IReadOnlyList<RunConfig> configs)
    {
        var first = configs[0];
        foreach (var other in configs.Skip(1))
        {
            var differences = other.DifferencesFrom(first, [.. MayDiffer]);
            if (differences.Count > 0)
                throw new InputException($"{other.Source}: cannot train in one pack with {first.Source}: the runs of a pack may differ only in their seed, and these differ in "
                    + string.Join(", ", differences.Take(3).Select(d => $"{d.Key} ({d.Other} against {d.This})")) + (differences.Count > 3 ? $", and {differences.Count - 3} more" : ""));
        }
        var twice = configs.GroupBy(c => c.Training.Seed).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InputException($"{twice.Last().Source}: seed {twice.Key} twice in one pack: each seed is one run");
    }

    /// <summary>
    /// <paramref name="runs"/> in packs: those whose configs differ only in what <see cref="MayDiffer"/>
    /// allows (a grid's seed axis) together, in the order their first run comes.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<T>> Group<T>(IReadOnlyList<(RunConfig Config, T Item)> runs)
    {
        var packs = new List<(RunConfig First, HashSet<long> Seeds, List<T> Items)>();
        foreach (var (config, item) in runs)
        {
            // A seed twice is two runs of one computation (a grid over how often to log, say): not one pack.
            var pack = packs.FirstOrDefault(p => !p.Seeds.Contains(config.Training.Seed) && config.DifferencesFrom(p.First, [.. MayDiffer]).Count == 0);
            if (pack.Items is null) packs.Add((config, [config.Training.Seed], [item]));
            else
            {
                pack.Seeds.Add(config.Training.Seed);
                pack.Items.Add(item);
            }
        }
        return packs.Select(p => (IReadOnlyList<T>)p.Items).ToList();
    }

    /// <summary>The runs of <paramref name="config"/> for each of <paramref name="seeds"/>: the same config with <c>training.seed</c> set (and <c>training.seeds</c> gone).</summary>
    public static IReadOnlyList<RunConfig> Members(RunConfig config, IReadOnlyList<long> seeds)
    {
        if (seeds.Count == 0) throw new ParameterException("seeds", ": at least one seed");
        if (seeds.FirstOrDefault(s => s < 0) is var negative && negative < 0) throw new ParameterException("seeds", $"{negative}: must not be negative");
        if (seeds.GroupBy(s => s).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new ParameterException("seeds", $"{twice.Key}: given twice; each seed is one run");
        return seeds.Select(s => config with { Training = config.Training with { Seed = s, Seeds = null } }).ToList();
    }

    /// <summary>
    /// The run folders of a pack for <paramref name="config"/>'s <paramref name="seeds"/>:
    /// <c>&lt;out_dir&gt;/&lt;run_id&gt;/seed=S/</c>, one per seed (<paramref name="outDir"/> and
    /// <paramref name="runId"/> as for one run, <see cref="Runs.Prepare"/>), each checked as a resumed
    /// run is: a folder that holds a run of another config is refused. Returns the runs with their
    /// configs (a folder's own where it has one) and whether any resumes.
    /// </summary>
    public static (IReadOnlyList<(RunConfig Config, RunFolder Run)> Runs, string Folder, bool Resumes) Prepare(RunConfig config, IReadOnlyList<long> seeds, string? outDir, string? runId)
    {
        var members = Members(config, seeds);
        var root = outDir != null ? Path.GetFullPath(outDir) : config.ResolvedOutDir;
        runId ??= config.Training.ResumeId ?? Runs.FreshId(config);
        var folder = Path.Combine(root, RunFolder.CheckName(runId, "run_id"));
        if (File.Exists(folder)) throw new ParameterException("run_id", $"{folder}: is a file, expected the folder of a pack of runs");
        var runs = members.Select(m => Runs.Prepare(m, folder, MemberFolderName(m.Training.Seed))).ToList();
        return (runs.Select(r => (r.config, r.run)).ToList(), folder, runs.Any(r => r.resumes));
    }

    /// <summary>
    /// The runs of a pack's folder (<c>seed=S/</c> folders holding a config.yaml), in seed order;
    /// null when <paramref name="folder"/> is not a pack's (it is a run itself, or holds no runs).
    /// </summary>
    public static IReadOnlyList<RunFolder>? MembersOf(string folder)
    {
        if (!Directory.Exists(folder) || new RunFolder(folder).HasConfig) return null;
        var runs = Directory.EnumerateDirectories(folder, "seed=*")
            .Select(d => (Run: new RunFolder(d), Seed: long.TryParse(Path.GetFileName(d)["seed=".Length..], out var s) ? s : -1))
            .Where(r => r.Seed >= 0 && r.Run.HasConfig).OrderBy(r => r.Seed).Select(r => r.Run).ToList();
        return runs.Count == 0 ? null : runs;
    }

    /// <summary>Steps a run folder has trained (its <c>state.pt</c>'s step plus one; 0 without one).</summary>
    public static int StepsDone(RunFolder run) => run.HasState ? (CheckpointStep.Read(run.StatePath) ?? -1) + 1 : 0;

    /// <summary>
    /// Trains <paramref name="runs"/> (one config's seeds) to <paramref name="totalSteps"/> as one pack,
    /// calling <paramref name="train"/> with the <see cref="Trainer"/> (a progress bar, or just
    /// <c>trainer.Train(total)</c>). Runs at different steps (a kill between two runs' saves) are
    /// brought together by the trainer itself; runs already done ride along, written nothing. Returns false when
    /// <paramref name="train"/> was stopped (progress saved). A run that diverges stops alone while
    /// the others train on; then <see cref="TrainingDivergedException"/> names each that did.
    /// </summary>
    public static bool Train(IReadOnlyList<(RunConfig Config, RunFolder Run)> runs, int totalSteps, Func<Trainer, bool> train,
        Device? device = null, bool? cudaGraphs = null)
    {
        EnsurePackable(runs.Select(r => r.Config).ToList());
        if (runs.All(r => StepsDone(r.Run) >= totalSteps)) return true;
        // Every run of the pack, those already there too: they ride along, written nothing, so that
        // the runs behind take their remaining steps in the very pack they started in (a pack's
        // arithmetic depends on how many it holds).
        using var trainer = new Trainer(runs.Select(r => (r.Config, (RunFolder?)r.Run)).ToList(), device, cudaGraphs, packed: runs.Count > 1);
        return train(trainer);
    }
}
