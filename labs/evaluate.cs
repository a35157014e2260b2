// Evaluate a run, the counterpart of the paper's eval.ipynb: train the quickstart for 2000 steps
// (or reuse that run), evaluate it on the paper's fifteen evaluations, draw its error curves beside
// the classical learners, under three shifts and one shift of your own, ask it about a prompt of
// your own, read metrics.json, and put the paper's own PyTorch checkpoint through the same steps.
// The lab of notebooks/evaluate.ipynb, as a file-based app (.NET 10).
//
// Run, from the repository root (about a minute on 2 CPU cores; the first run also builds):
//     dotnet run labs/evaluate.cs                 # writes into labs/runs/evaluate/
//     dotnet run labs/evaluate.cs -- OUT_FOLDER   # or into a folder of your choice
// It writes into the folder:
//     evaluate-quickstart/          the run (config.yaml, state.pt, train_log.csv, metrics.json); run
//                                   again, the lab reuses it; delete it to train afresh
//     paper-fixture/                the paper's fixture checkpoint, imported
//     standard.png, random_quadrants.png, scale-x=2.png, noisyLR.png, probe-3-dims.png,
//     paper-fixture.png             the figures
//     evaluate.html                 all of it on one page
// The paper's fixture is read from ../tests/fixtures/reference-run beside this file (the
// repository's layout); without it, that part is left out with a line that says so. With the
// package instead of the sources (docs/notebooks-and-packages.md, "Labs"): replace the #:project
// line below by `#:package InContext@0.1.0`.
#:project ../src/InContext/InContext.csproj
// A file-based app is made ready for native AOT by default, which switches off what the library
// and TorchSharp use at run time (reflection-based JSON for metrics.json, dynamic code).
#:property PublishAot=false

using System.Text.Json;
using InContext;
using InContext.Config;
using InContext.Evaluation;
using InContext.Interop;
using InContext.Native;
using InContext.Probing;
using InContext.Reports;
using InContext.Storage;
using InContext.Training;
using static TorchSharp.torch;

// A failure is one line (and exit code 1), not a stack trace.
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    Console.Error.WriteLine($"evaluate: {(e.ExceptionObject as Exception)?.Message}");
    Environment.Exit(1);
};
// What `icl` does at start, before the first tensor (here no build step of the library runs).
Console.WriteLine("InContext: " + NativeRuntime.Prepare());
var here = (string)AppContext.GetData("EntryPointFileDirectoryPath")!;
var folder = args.Length > 0 ? args[0] : Path.Combine(here, "runs", "evaluate");
var page = new FigurePage(folder, "Evaluate a run", Console.Out);
using var scope = NewDisposeScope();   // holds every tensor made here until the end (docs: "tensors, threads and the GC")

// 1. A run is a folder: config.yaml, state.pt (PyTorch's format), train_log.csv and, once
// evaluated, metrics.json. The quickstart (linear regression, d = 5, 11 points, the paper's tiny
// model), trained for 2000 of its 5000 steps; a run already there is continued, not redone.
page.Heading("A run");
var run = new RunFolder(Path.Combine(folder, "evaluate-quickstart"));
var quickstart = RunConfig.Quickstart();
var config = quickstart with { Training = quickstart.Training with { TrainSteps = 2000 } };
using (var trainer = new Trainer(config, run))
{
    trainer.Train(onStep: r =>
    {
        if (r.Step % 500 == 0 || r.Step == r.TotalSteps - 1)
            page.Print($"step {r.Step,4}: loss {r.Loss:F2} ({r.StepsPerSecond:F0} steps/s)");
    });
    page.Print($"{run.Path}: trained to step {trainer.NextStep}");
}

// 2. What `icl eval` does: every evaluation of the task (the paper's fifteen for linear
// regression), 1280 fresh prompts each, the transformer beside the task's baselines on the very
// same prompts; into metrics.json, reused for the same checkpoint.
page.Heading("Evaluate");
var metrics = RunEvaluation.EvaluateRun(run, new EvaluationRequest());
page.Print($"{metrics.Evaluations.Count} evaluations in {run.MetricsPath}:\n{string.Join(", ", metrics.Evaluations.Keys)}");

// 3. The paper's figure: squared error / d (predicting 0 scores 1) against the number of
// in-context examples, with a bootstrap 90% band; then three of the paper's shifts for the
// transformer, least squares and 3-nearest neighbours.
page.Heading("Error curves");
var settings = RunPlots.SettingsOf(config, run.Name);
ScottPlot.Plot Figure(string evaluation, IReadOnlyList<string>? models = null) =>
    ErrorFigure.Build(evaluation, ErrorCurve.ForEvaluation(metrics.Evaluations[evaluation], settings, models), settings);
page.Add("standard", Figure("standard"), 640, 400);
foreach (var evaluation in new[] { "random_quadrants", "scale-x=2", "noisyLR" })
    page.Add(evaluation, Figure(evaluation, ["transformer", "least_squares", "knn_3"]), 560, 350);

// 4. The error after 1, d/2, d and 2d examples, as `icl eval` prints it.
page.Heading("The numbers beside the baselines");
var table = new ErrorTable(ErrorCurve.ForEvaluation(metrics.Evaluations["standard"], settings), settings);
page.Add(new ReportTable($"standard: {table.Caption}",
    new[] { "model" }.Concat(table.Columns.Select(k => $"k = {k}")).ToList(),
    table.Curves.Select(c => (IReadOnlyList<string>)new[] { ModelDisplay.Name(c.ModelId) }
        .Concat(table.Columns.Select(k => ErrorTable.Value(c, k) is { } v ? ErrorTable.Format(v) : HtmlReport.Missing)).ToList()).ToList()));

// 5. A shift of your own (`icl probe`): only 3 of the 5 inputs carry values; least squares then
// needs only 3 examples. Then a prompt of your own through InContextRegressor, which treats the
// trained model like a scikit-learn regressor: Fit stores the examples, Predict answers queries.
page.Heading("A shift and a prompt of your own");
var probe = Probe.Run(run, new ProbeOptions(NDims: 3));
var probeSettings = probe.Settings(run.Name);
page.Print($"probe '{probe.Evaluation.Name}': {probe.Problem.Task.Describe()}, {probe.ActiveDims} active dims, {probe.Problem.NPoints} points");
page.Add("probe-3-dims", ErrorFigure.Build(probe.Evaluation.Name, ErrorCurve.ForEvaluation(probe.Errors, probeSettings), probeSettings), 640, 400);

// f(x) = x1 − 2·x2 + 0.5·x5 on 10 examples with x uniform on [−1, 1], narrower than the N(0, 1)
// the model was trained on: Standardize = true rescales examples and queries to that
// distribution, and the predictions back.
double[] w = [1, -2, 0, 0, 0.5];
var random = new Random(3);
double[,] Points(int count)
{
    var p = new double[count, 5];
    for (var i = 0; i < count; i++)
        for (var j = 0; j < 5; j++) p[i, j] = random.NextDouble() * 2 - 1;
    return p;
}
double[] F(double[,] p) => Enumerable.Range(0, p.GetLength(0)).Select(i => Enumerable.Range(0, 5).Sum(j => w[j] * p[i, j])).ToArray();
var x = Points(10);
var queries = Points(4);
var truth = F(queries);
double[] yT, yS;
using (var transformer = InContextRegressor.FromRun(run.Path).Fit(x, F(x)))
{
    yT = transformer.Predict(queries);
    transformer.Standardize = true;
    yS = transformer.Predict(queries);
}
using var leastSquares = InContextRegressor.Baseline("least_squares").Fit(x, F(x));
using var nearest = InContextRegressor.Baseline("knn_3").Fit(x, F(x));
var yL = leastSquares.Predict(queries);
var yN = nearest.Predict(queries);
page.Add(new ReportTable("a prompt of your own: f(x) = x1 − 2·x2 + 0.5·x5, 10 examples, 4 queries",
    ["query", "f(x)", "Least Squares", "3-Nearest Neighbors", "Transformer", "Transformer, standardized"],
    Enumerable.Range(0, 4).Select(i => (IReadOnlyList<string>)new[] { $"{i + 1}" }
        .Concat(new[] { truth[i], yL[i], yN[i], yT[i], yS[i] }.Select(v => v.ToString("F3"))).ToList()).ToList()));
if (Enumerable.Range(0, 4).Any(i => Math.Abs(yL[i] - truth[i]) > 1e-6))
    throw new InvalidOperationException("least squares does not recover a linear function from 10 examples in 5 dimensions");

// 6. metrics.json has the paper's schema, {evaluation: {model: {mean, std, bootstrap_low,
// bootstrap_high}}}, one value per number of examples: read with plain System.Text.Json, the
// error after 2d = 10 examples in every evaluation, / d.
page.Heading("metrics.json into a table");
var json = JsonDocument.Parse(File.ReadAllText(run.MetricsPath)).RootElement;
var models = json.GetProperty("standard").EnumerateObject().Select(m => m.Name).ToList();
page.Add(new ReportTable("error / d after 10 examples, from metrics.json",
    new[] { "evaluation" }.Concat(models.Select(ModelDisplay.Name)).ToList(),
    json.EnumerateObject().Select(e => (IReadOnlyList<string>)new[] { e.Name }
        .Concat(models.Select(m => e.Value.TryGetProperty(m, out var s) ? ErrorTable.Format(s.GetProperty("mean")[10].GetDouble() / 5) : HtmlReport.Missing)).ToList()).ToList()));

// 7. The paper's own checkpoint (`icl import`): a tiny run written by the paper's code with
// PyTorch 1.13 (d = 3, 6 points, 16 wide, 2 layers, 8 steps), with the predictions PyTorch made
// for one fixed prompt. Imported, our model must make the same ones.
page.Heading("The paper's own checkpoint");
var paperDir = Path.GetFullPath(Path.Combine(here, "..", "tests", "fixtures", "reference-run"));
if (!Directory.Exists(paperDir))
    page.Print($"left out: the paper's fixture checkpoint is not at {paperDir} (it is in the repository, tests/fixtures/reference-run)");
else
{
    var importedDir = Path.Combine(folder, "paper-fixture");
    if (Directory.Exists(importedDir)) Directory.Delete(importedDir, recursive: true);   // import writes only into a new folder
    var imported = ReferenceRunImport.Import(paperDir, step: null, importedDir);
    var m = imported.Config.Model;
    page.Print($"imported {imported.Source}: step {imported.TrainStep}, Adam state {(imported.AdamImported ? "kept" : "not kept")}");
    page.Print($"model: d = {m.NDims}, {m.NPositions} positions, {m.NEmbd} wide, {m.NLayer} layers, {m.NHead} heads");

    var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(paperDir, "expected.json"))).RootElement;
    float[] Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().SelectMany(Flat).ToArray() : [e.GetSingle()];
    var b = expected.GetProperty("xs").GetArrayLength();
    var fxs = tensor(Flat(expected.GetProperty("xs"))).view(b, -1, m.NDims);
    var fys = tensor(Flat(expected.GetProperty("ys"))).view(b, -1);
    using var paperModel = imported.Run.LoadModel();
    var ours = paperModel.Predict(fxs, fys);
    var theirs = tensor(Flat(expected.GetProperty("pred_state"))).view(b, -1);
    var difference = (ours - theirs).abs().max().item<float>();
    page.Print($"predictions {string.Join(", ", ours[0].data<float>().ToArray().Select(v => v.ToString("F4")))} ...");
    page.Print($"largest difference from PyTorch's: {difference:E1}");
    if (!(difference < 1e-4)) throw new InvalidOperationException($"the imported checkpoint's predictions differ from PyTorch's by {difference:E1}");

    // Trained 8 steps only, it has learnt next to nothing: its curve stays near 1.
    var paperMetrics = RunEvaluation.EvaluateRun(imported.Run, new EvaluationRequest(Strategies: ["standard"]));
    var paperSettings = RunPlots.SettingsOf(imported.Config, imported.Run.Name);
    page.Add("paper-fixture", ErrorFigure.Build("the paper's fixture checkpoint: standard",
        ErrorCurve.ForEvaluation(paperMetrics.Evaluations["standard"], paperSettings), paperSettings), 640, 400);
}
page.Write("evaluate.html");
