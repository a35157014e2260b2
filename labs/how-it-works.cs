// How the in-context learner works: the model of Garg et al. (2022) taken apart for a C# developer
// who has never used PyTorch, then trained for 1500 steps while it learns to learn. The lab of
// notebooks/how-it-works.ipynb, as a file-based app (.NET 10).
//
// Run, from the repository root (about a minute on 2 CPU cores; the first run also builds):
//     dotnet run labs/how-it-works.cs                 # writes into labs/runs/how-it-works/
//     dotnet run labs/how-it-works.cs -- OUT_FOLDER   # or into a folder of your choice
// It prints every stage's shapes as it goes, and writes into the folder:
//     attention-untrained.png, training.png, standard.png, attention-trained.png   the figures
//     how-it-works.html                                                             all of it on one page
// With the package instead of the sources (docs/notebooks-and-packages.md, "Labs"): replace the
// #:project line below by `#:package InContext@0.1.0`.
#:project ../src/InContext/InContext.csproj
// A file-based app is made ready for native AOT by default, which switches off what the library
// and TorchSharp use at run time (reflection-based JSON for metrics.json, dynamic code).
#:property PublishAot=false

using InContext;
using InContext.Baselines;
using InContext.Config;
using InContext.Evaluation;
using InContext.Models;
using InContext.Native;
using InContext.Reports;
using InContext.Sampling;
using InContext.Tasks;
using InContext.Training;
using TorchSharp;
using static TorchSharp.torch;

// A failure is one line (and exit code 1), not a stack trace.
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    Console.Error.WriteLine($"how-it-works: {(e.ExceptionObject as Exception)?.Message}");
    Environment.Exit(1);
};
// What `icl` does at start, before the first tensor (here no build step of the library runs).
Console.WriteLine("InContext: " + NativeRuntime.Prepare());
var folder = args.Length > 0 ? args[0] : Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, "runs", "how-it-works");
var page = new FigurePage(folder, "How the in-context learner works", Console.Out);
using var scope = NewDisposeScope();   // holds every tensor made here until the end (docs: "tensors, threads and the GC")

string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
string Numbers(Tensor t) => t.ToString(TorchSharp.TensorStringStyle.Numpy, fltFormat: "F2");
// The by-hand computations below must agree with the library's; a lab that disagrees fails.
void Agrees(string what, Tensor byHand, Tensor library)
{
    var difference = (byHand - library).abs().max().item<float>();
    page.Print($"{what}: largest difference from the library's {difference:E1}");
    if (!(difference < 1e-4)) throw new InvalidOperationException($"{what} differs from the library's by {difference:E1}");
}

// 1. The task. Every prompt holds examples of one function f, x1, f(x1), …, xk, f(xk), then a
// query x; f is drawn afresh for every prompt (here linear, f(x) = w·x with a new w each time),
// so the model must work w out from the prompt: in-context learning.
// 2. Tensors: TorchSharp's arrays of numbers with any number of dimensions.
page.Heading("Tensors and prompts");
manual_seed(0);   // the same random numbers on every run
var a = randn(2, 3);
page.Print($"a has shape {Shape(a)}:\n{Numbers(a)}");
page.Print($"a times its transpose: shape {Shape(a.matmul(a.T))}");

// A batch of prompts drawn the way training draws them: 4 prompts of 11 points in d = 5 dimensions.
int d = 5, n = 11, b = 4;
var task = TaskRegistry.CreateDefault("linear_regression", d);
var generator = new Generator(42);
var xs = new GaussianSampler(d).Sample(n, b, generator);       // x ~ N(0, I)
var functions = task.SampleFunctions(b, generator, d);          // one w per prompt
var ys = task.Evaluate(functions, xs, generator);               // y = w·x
page.Print($"xs {Shape(xs)}: {b} prompts × {n} points × {d} dims");
page.Print($"w  {Shape(functions["w"])}: one w per prompt");
page.Print($"ys {Shape(ys)}: f(x) for every point");

// 3. Modules: a class deriving from nn.Module keeps its parameters in fields (Affine, at the end of
// this file, is one of our own). The paper's model, InContextTransformer, is the same pattern:
// _read_in (Linear), _backbone (GPT-2), _read_out (Linear); here the size `icl train` uses.
page.Heading("Modules");
var affine = new Affine(d);
foreach (var (name, p) in affine.named_parameters()) page.Print($"{name}: {Shape(p)}");
page.Print($"forward(xs): {Shape(xs)} -> {Shape(affine.forward(xs))}");
manual_seed(0);
var config = new ModelConfig(Family: "gpt2", NDims: d, NPositions: n, NEmbd: 64, NLayer: 3, NHead: 2);
var model = new InContextTransformer(config);
foreach (var (name, p) in model.named_parameters())
    if (!name.Contains(".h.1.") && !name.Contains(".h.2."))   // blocks 1 and 2 repeat block 0
        page.Print($"{name,-36} {Shape(p)}");
page.Print($"... and the same for blocks 1 and 2: {model.parameters().Sum(p => p.numel()):N0} numbers in all");

// 4. From a prompt to rows: x1, f(x1) padded with zeros to width d, x2, …; the prediction for
// point i is read at the row of x_i, before the model has seen f(x_i). The read-in maps each row
// to width 64; a learned vector per position (wpe) is added, since attention ignores order.
page.Heading("From a prompt to a sequence of vectors");
var rows = InContextTransformer.Combine(xs, ys);
page.Print($"xs {Shape(xs)} and ys {Shape(ys)} -> rows {Shape(rows)}");
page.Print($"the first four rows of prompt 0 (x1, f(x1), x2, f(x2)):\n{Numbers(rows[0].narrow(0, 0, 4))}");
var positions = arange(2 * n);
var hidden = model._read_in.forward(rows) + model._backbone.wpe.forward(positions);
page.Print($"read-in and positions: {Shape(rows)} -> {Shape(hidden)} (wpe is {Shape(model._backbone.wpe.weight!)})");

// 5. A GPT-2 block: x + attention(layernorm(x)), then x + mlp(layernorm(x)). Attention mixes
// rows: row i averages the values of rows 0…i (the causal mask), weighted by softmax(q·k / √width).
page.Heading("Attention, by hand");
page.Print($"the causal mask for 6 rows (1 = may look):\n{ones(6, 6).tril().ToString(TorchSharp.TensorStringStyle.Numpy, fltFormat: "F0")}");
Tensor AttentionWeights(GPT2Block block, Tensor x)   // [b, heads, t, t]
{
    var (B, T, E) = (x.shape[0], x.shape[1], x.shape[2]);
    long heads = config.NHead, width = E / heads;
    var qkv = block.attn.c_attn.forward(block.ln_1.forward(x)).view(B, T, 3, heads, width);
    var q = qkv.select(2, 0).transpose(1, 2);   // [b, heads, t, width]
    var k = qkv.select(2, 1).transpose(1, 2);
    var scores = q.matmul(k.transpose(2, 3)) / Math.Sqrt(width);
    var causal = ones(T, T).tril().to(ScalarType.Bool);
    return softmax(scores.masked_fill(causal.logical_not(), double.NegativeInfinity), -1);
}
var block0 = model._backbone.h[0];
var weights = AttentionWeights(block0, hidden);
var (B, T, E) = (hidden.shape[0], hidden.shape[1], hidden.shape[2]);
var v = block0.attn.c_attn.forward(block0.ln_1.forward(hidden)).view(B, T, 3, config.NHead, E / config.NHead).select(2, 2).transpose(1, 2);
var byHand = block0.attn.c_proj.forward(weights.matmul(v).transpose(1, 2).reshape(B, T, E));
var library = block0.attn.forward(block0.ln_1.forward(hidden), null);
page.Print($"attention weights {Shape(weights)}: prompts × heads × rows × rows");
Agrees("attention by hand", byHand, library);
// Untrained, every row attends almost evenly to the rows it may see.
page.Add("attention-untrained", AttentionFigure.Build(weights[0, 0], "attention weights, block 0, head 0 (untrained)"), 560, 480);

// The MLP works on each row alone: widen to 4 × 64, GELU, narrow back to 64.
var afterAttention = hidden + library;
var blockOut = afterAttention + block0.mlp.forward(block0.ln_2.forward(afterAttention));
page.Print($"MLP: {Shape(afterAttention)} -> {Shape(block0.mlp.c_fc.forward(block0.ln_2.forward(afterAttention)))} -> {Shape(blockOut)}");
Agrees("block 0 by hand", blockOut, block0.forward(hidden));

// 6. Read-out: after the blocks and a final LayerNorm, one number per row; the x rows are the predictions.
page.Heading("The whole forward pass, by hand");
var h = hidden;
foreach (var block in model._backbone.h) h = block.forward(h);
var everyRow = model._read_out.forward(model._backbone.ln_f.forward(h)).squeeze(-1);   // [b, 2n]
var predictions = everyRow.index_select(1, arange(0, 2 * n, 2));                        // the x rows: [b, n]
page.Print($"after the blocks {Shape(h)}, read-out {Shape(everyRow)}, x rows {Shape(predictions)}");
Agrees("forward pass by hand", predictions, model.forward(xs, ys));

// 7. The loss (mean squared error at every x row; / d it is the paper's normalised error, about 1
// for a model that answers 0) and one step of Adam.
page.Heading("The loss, and one step of training");
var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
var loss = task.TrainingLoss(model.forward(xs, ys), ys);
page.Print($"loss {loss.item<float>():F3}, normalised {loss.item<float>() / d:F3}");
loss.backward();
page.Print($"_read_in.weight is {Shape(model._read_in.weight)}; its gradient is {Shape(model._read_in.weight.grad!)}");
optimizer.step();
optimizer.zero_grad();
page.Print($"after one step on the same prompts: loss {task.TrainingLoss(model.forward(xs, ys), ys).item<float>():F3}");

// 8. The curriculum: the paper's linear runs start with 5 active dims and 11 points and add one
// dim and two points every 2000 steps; unused dims of x are 0.
page.Heading("The curriculum");
var paper = new Curriculum(new CurriculumConfig(Dims: new Schedule(Start: 5, End: 20, Inc: 1, Interval: 2000),
                                                Points: new Schedule(Start: 11, End: 41, Inc: 2, Interval: 2000)));
foreach (var step in new[] { 0, 1999, 2000, 10000, 20000, 30000, 100000 })
    page.Print($"step {step,6}: {paper.NDims(step),2} active dims, {paper.NPoints(step),2} points per prompt");

// 9. Watch it learn: the quickstart (`icl train` with no arguments) for 1500 of its 5000 steps.
// Every 100 steps, the normalised error after 10 examples on 512 test prompts it never trains
// on, beside three classical learners on the same prompts. run: null writes nothing to disk.
page.Heading("Watch it learn");
var testGenerator = new Generator(7);
var testXs = new GaussianSampler(d).Sample(n, 512, testGenerator);
var testYs = task.Evaluate(task.SampleFunctions(512, testGenerator, d), testXs, testGenerator);
double ErrorAfter10(IPredictor learner)
{
    using var _ = NewDisposeScope();
    return (learner.Predict(testXs, testYs) - testYs).square().select(1, 10).mean().item<float>() / d;
}
var baselines = new IPredictor[] { new LeastSquares(), new NearestNeighbours(3), new Averaging() };
var baselineError = baselines.ToDictionary(p => p.DisplayName, ErrorAfter10);
foreach (var (name, error) in baselineError) page.Print($"{name}: {error:F3}");

using var trainer = new Trainer(RunConfig.Quickstart(), run: null);
var curve = new List<(int Step, double Error)>();
trainer.Train(totalSteps: 1500, onStep: r =>
{
    if (r.Step % 100 != 0 && r.Step != r.TotalSteps - 1) return;
    curve.Add((r.Step, ErrorAfter10(trainer.Model)));
    if (r.Step % 500 == 0 || r.Step == r.TotalSteps - 1)
        page.Print($"step {r.Step,4}: training loss {r.Loss:F2}, test error after 10 examples {curve[^1].Error:F3} ({r.StepsPerSecond:F0} steps/s)");
});

var plot = new ScottPlot.Plot();
FigureStyle.Apply(plot);
var transformerLine = plot.Add.ScatterLine(curve.Select(c => (double)c.Step).ToArray(), curve.Select(c => c.Error).ToArray());
transformerLine.LegendText = "Transformer";
transformerLine.LineWidth = 2.5f;
foreach (var (name, error) in baselineError)
    plot.Add.HorizontalLine(error, 1.5f, pattern: ScottPlot.LinePattern.Dashed).LegendText = name;
plot.Title("error after 10 in-context examples, during training");
plot.XLabel("training step");
plot.YLabel("squared error / d");
plot.Axes.SetLimitsY(-0.05, 1.2);
plot.ShowLegend(ScottPlot.Alignment.UpperRight);
page.Add("training", plot, 640, 400);
var crossed = curve.FirstOrDefault(c => c.Error < baselineError["3-Nearest Neighbors"]);
page.Print(crossed.Step > 0 ? $"below 3-nearest-neighbours from step {crossed.Step} on" : "not below 3-nearest-neighbours yet");

// The paper's figure for this model: the error after each number of examples over 640 prompts,
// with a bootstrap 90% band, as `icl plot` draws it.
var standard = Evaluations.For(task)[0];
var metrics = new MetricsFile();
Evaluator.Run(new[] { standard }, new IPredictor[] { trainer.Model }.Concat(baselines).ToList(), n,
    new EvaluationSettings(NumExamples: 640), metrics);
var settings = PlotSettings.For(task, d, "how-it-works");
page.Add("standard", ErrorFigure.Build("standard, after 1500 steps", ErrorCurve.ForEvaluation(metrics.Evaluations["standard"], settings), settings), 640, 400);

// What changed inside: trained, the rows have learnt where to look.
var trainedHidden = trainer.Model._read_in.forward(rows) + trainer.Model._backbone.wpe.forward(positions);
page.Add("attention-trained", AttentionFigure.Build(AttentionWeights(trainer.Model._backbone.h[0], trainedHidden)[0, 0], "attention weights, block 0, head 0 (after 1500 steps)"), 560, 480);
page.Write("how-it-works.html");

/// <summary>A module of our own, y = x·a + c: parameters in fields, RegisterComponents finds them.</summary>
class Affine : nn.Module<Tensor, Tensor>
{
    public readonly TorchSharp.Modules.Parameter a, c;

    public Affine(int inputs) : base("affine")
    {
        a = nn.Parameter(randn(inputs));
        c = nn.Parameter(zeros(1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => x.matmul(a) + c;
}
