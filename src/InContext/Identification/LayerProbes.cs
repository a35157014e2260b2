using System.Globalization;
using System.Text;
using InContext.Baselines;
using InContext.Config;
using InContext.Evaluation;
using InContext.Interop;
using InContext.Models;
using InContext.Probing;
using InContext.Reports;
using InContext.Storage;
using ScottPlot;
using static TorchSharp.torch;

namespace InContext.Identification;

/// <summary>
/// What <c>probe-layers</c> reads: <paramref name="TrainPrompts"/> prompts to fit each probe on and
/// <paramref name="TestPrompts"/> others to score it on, each of <paramref name="Examples"/> in-context
/// pairs then a query (null: the run's longest prompts, its curriculum's last points − 1), drawn from
/// <paramref name="Seed"/> in batches of <paramref name="BatchSize"/>.
/// </summary>
public sealed record LayerProbeSettings(int TrainPrompts = 4096, int TestPrompts = 1024, int? Examples = null, long Seed = 0, int BatchSize = 256);

/// <summary>
/// R² of a linear probe from each layer's hidden state (index 0: the embedding, i: after block i) to
/// each target (<see cref="LayerProbes.TargetNames"/>), scored on held-out prompts.
/// </summary>
/// <param name="Task">The task, described.</param>
/// <param name="Examples">In-context pairs before the query whose hidden state is probed.</param>
/// <param name="TrainPrompts">Prompts each probe was fitted on.</param>
/// <param name="TestPrompts">Prompts each probe was scored on.</param>
/// <param name="Targets">The targets probed, in the columns' order.</param>
/// <param name="RSquared">R² per layer and target, <c>[layer][target]</c>.</param>
/// <param name="Skipped">Why a target was not probed (w on a task without linear weights); null when none was skipped.</param>
public sealed record LayerProbeResult(string Task, int Examples, int TrainPrompts, int TestPrompts, IReadOnlyList<string> Targets,
    double[][] RSquared, string? Skipped)
{
    /// <summary>The table: a row per layer, R² per target.</summary>
    public ReportTable Table(string runName) => new(
        $"{runName}: linear probes from the hidden state at the query after {Examples} examples, R² on {TestPrompts} held-out prompts (fitted on {TrainPrompts})",
        Targets.Prepend("layer").ToList(),
        RSquared.Select((row, layer) => (IReadOnlyList<string>)row.Select(IdentificationResult.F).Prepend(LayerName(layer)).ToList()).ToList());

    /// <summary><c>embedding</c> for layer 0, else <c>block i</c>.</summary>
    public static string LayerName(int layer) => layer == 0 ? "embedding" : $"block {layer}";

    /// <summary>The numbers: <c>layer,target,r_squared</c>.</summary>
    public string Csv()
    {
        var csv = new StringBuilder("layer,target,r_squared\n");
        for (var l = 0; l < RSquared.Length; l++)
            for (var t = 0; t < Targets.Count; t++)
                csv.AppendLine(FormattableString.Invariant($"{l},{Targets[t]},{RSquared[l][t]:G6}"));
        return csv.ToString();
    }

    /// <summary>R² against the layer, a line per target.</summary>
    public Plot Figure(string runName)
    {
        var layers = Enumerable.Range(0, RSquared.Length).Select(l => (double)l).ToArray();
        var lines = Targets.Select((t, i) => new FigureLine(t, ModelPalette.ForUnknownIds[i], RSquared.Select(r => r[i]).ToArray(), LinePattern.Solid)).ToList();
        return IdentificationFigures.Build($"{runName}: what each layer encodes (after {Examples} examples)", "layer (0: the embedding)",
            "R² of a linear probe (held-out prompts)", layers, lines, log: false, top: 1.05);
    }

    /// <summary>Writes <c>probe_layers.png</c>, <c>probe_layers.csv</c> and <c>probe_layers.md</c> into <paramref name="outDir"/>; returns them.</summary>
    public IReadOnlyList<string> Write(string runName, string outDir)
    {
        AtomicFile.EnsureFolderWritable(outDir);
        var (png, csv, md) = (Path.Combine(outDir, "probe_layers.png"), Path.Combine(outDir, "probe_layers.csv"), Path.Combine(outDir, "probe_layers.md"));
        FigureExport.Save(new Multiplot(Figure(runName)), png);
        AtomicFile.WriteAllText(csv, Csv());
        AtomicFile.WriteAllText(md, Table(runName).Markdown(withCaption: true));
        return [png, csv, md];
    }
}

/// <summary>
/// Linear probes of a run's hidden states (<c>icl probe-layers</c>, after Akyürek et al. 2023, section 5):
/// on prompts of k pairs then a query, from the residual stream at the query's row after each layer
/// (<see cref="InContextTransformer.LayerStates"/>) to the task's w, the least-squares weights of the
/// k pairs, and the moment Xᵀy; each a <see cref="RidgeProbe"/> fitted on training prompts and scored
/// by R² on held-out ones. A layer that scores near 1 holds the target linearly; shuffled targets score about 0.
/// </summary>
public static class LayerProbes
{
    /// <summary>The targets: the task's w (linear tasks), the least-squares weights of the context, its moment Xᵀy.</summary>
    public static readonly IReadOnlyList<string> TargetNames = ["w", "least-squares w", "Xᵀy"];

    /// <summary>
    /// The number of examples to probe after, checked against the run (1 to n_positions − 1, refused as the
    /// parameter <c>k</c>), and the numbers of prompts; before any work.
    /// </summary>
    public static int Check(RunConfig config, LayerProbeSettings settings)
    {
        var k = settings.Examples ?? config.Training.Curriculum.Points.End - 1;
        if (k < 1 || k > config.Model.NPositions - 1)
            throw new ParameterException("k", $"{k}: the model reads 1 to n_positions − 1 = {config.Model.NPositions - 1} examples before a query");
        if (settings.TrainPrompts < 10) throw new ParameterException("train_prompts", $"{settings.TrainPrompts}: at least 10, so a fifth can choose the probe's penalty");
        if (settings.TestPrompts < 1) throw new ParameterException("test_prompts", $"{settings.TestPrompts}: at least 1");
        return k;
    }

    /// <summary>Probes a run's transformer (its <c>state.pt</c>, or <c>model_&lt;step&gt;.pt</c>).</summary>
    public static LayerProbeResult Run(RunFolder run, LayerProbeSettings settings, Device? device = null, int? step = null,
        Action<EvaluationProgress>? progress = null)
    {
        var config = run.LoadConfig();
        Check(config, settings);
        using var model = run.LoadModel(device, step);
        return Run(config, model, settings, progress);
    }

    /// <summary>Probes a loaded model of the run with <paramref name="config"/>, on prompts of the run's own distribution.</summary>
    public static LayerProbeResult Run(RunConfig config, InContextTransformer model, LayerProbeSettings settings, Action<EvaluationProgress>? progress = null)
    {
        var k = Check(config, settings);
        var (spec, _) = Probe.Build(config, new ProbeOptions(Points: k + 1), settings.Seed);
        var task = spec.Task;
        var batches = Batches(settings.TrainPrompts, settings.BatchSize) + Batches(settings.TestPrompts, settings.BatchSize);
        var done = 0;
        (List<Tensor> states, List<Tensor>[] targets) Draw(int prompts, int firstBatch)
        {
            var (states, targets) = (new List<Tensor>(), TargetNames.Select(_ => new List<Tensor>()).ToArray());
            for (var i = 0; i * settings.BatchSize < prompts; i++)
            {
                using var scope = NewDisposeScope();
                using var g = new Generator(Seeds.Batch(settings.Seed, firstBatch + i));
                using var drawn = spec.Draw(k + 1, Math.Min(settings.BatchSize, prompts - i * settings.BatchSize), g);
                var (xs, ys) = (drawn.Xs.narrow(1, 0, k), drawn.Ys.narrow(1, 0, k));
                states.Add(model.LayerStates(drawn.Xs, drawn.Ys).cpu().to(float64).MoveToOuterDisposeScope());
                if (task.IsLinear) targets[0].Add(task.LinearWeights(drawn.Functions).to(float64).MoveToOuterDisposeScope());
                targets[1].Add(new LeastSquares().Weights(xs, ys).MoveToOuterDisposeScope());
                targets[2].Add((xs.to(float64) * ys.to(float64).unsqueeze(-1)).sum(1).MoveToOuterDisposeScope());
                progress?.Invoke(new EvaluationProgress("probe-layers", ++done, batches, done, batches));
            }
            return (states, targets);
        }
        using var scope = NewDisposeScope();
        var train = Draw(settings.TrainPrompts, 0);
        var test = Draw(settings.TestPrompts, Batches(settings.TrainPrompts, settings.BatchSize));
        var (trainStates, testStates) = (cat(train.states.ToArray(), 1), cat(test.states.ToArray(), 1));   // [layers, N, e]
        var probed = Enumerable.Range(0, TargetNames.Count).Where(t => train.targets[t].Count > 0).ToList();
        var r2 = Enumerable.Range(0, (int)trainStates.shape[0]).Select(layer => probed.Select(t =>
        {
            using var fit = RidgeProbe.Fit(trainStates[layer], cat(train.targets[t].ToArray(), 0));
            return fit.Score(testStates[layer], cat(test.targets[t].ToArray(), 0));
        }).ToArray()).ToArray();
        return new LayerProbeResult(task.Describe(), k, settings.TrainPrompts, settings.TestPrompts, probed.Select(t => TargetNames[t]).ToList(), r2,
            task.IsLinear ? null : $"w not probed: {task.Describe()} is not x · w plus noise (least-squares w and Xᵀy are)");
    }

    static int Batches(int prompts, int batchSize) => (prompts + batchSize - 1) / batchSize;
}
