// Benchmarks of the library's hot paths on this machine.
//   dotnet run -c Release --project bench/InContext.Bench -- baselines          the targets: decision-tree, sparse and linear workloads
//   dotnet run -c Release --project bench/InContext.Bench -- baselines lasso_1  only the named baselines (nn_gd: 2-layer ReLU workload)
//   ... --prompts 128                                                            fewer prompts (default 1280, as the paper's evaluation)
//   ... --torch-threads 1                                                        libtorch's intra-op threads (default: one per core)
using System.Diagnostics;
using InContext.Baselines;
using InContext.Evaluation;
using static TorchSharp.torch;

if (args.Length == 0 || args[0] != "baselines")
{
    Console.Error.WriteLine("usage: InContext.Bench baselines [baseline ids...] [--prompts N] [--torch-threads N]");
    return 2;
}

const int Batch = 64, D = 20;
int Prompts = 1280;
var only = new HashSet<string>();
for (int a = 1; a < args.Length; a++)
    if (args[a] == "--prompts") Prompts = int.Parse(args[++a]);
    else if (args[a] == "--torch-threads") set_num_threads(int.Parse(args[++a]));
    else only.Add(args[a]);
var rows = new List<(string Workload, string Model, double Seconds)>();

void Time(string workload, IPredictor predictor, Func<int, (Tensor Xs, Tensor Ys)> batches)
{
    if (only.Count > 0 ? !only.Contains(predictor.Name) : predictor.Name == ModelNames.NeuralNetGd) return;
    var watch = new Stopwatch();
    for (int start = 0; start < Prompts; start += Batch)
    {
        using var scope = NewDisposeScope();
        var (xs, ys) = batches(start);
        watch.Start();
        predictor.Predict(xs, ys);
        watch.Stop();
    }
    rows.Add((workload, predictor.Name, watch.Elapsed.TotalSeconds));
    Console.WriteLine($"{workload,-26} {predictor.Name,-16} {watch.Elapsed.TotalSeconds,8:F2} s");
}

Tensor Gaussian(int seed, int points) => randn(Batch, points, D, generator: new Generator((ulong)seed));

// Decision trees (SPEC §3): complete depth-4 trees, inner node tests x[feature] > 0 (true goes
// right, child 2i+2), leaves N(0, 1). Generated inline: the task code lives elsewhere.
(Tensor, Tensor) Trees(int seed)
{
    const int Depth = 4, Inner = (1 << Depth) - 1;
    var xs = Gaussian(seed, 101);
    var random = new Random(seed + 1);
    var x = xs.data<float>().ToArray();
    var y = new float[Batch * 101];
    for (int p = 0; p < Batch; p++)
    {
        var feature = Enumerable.Range(0, Inner).Select(_ => random.Next(D)).ToArray();
        var leaf = Enumerable.Range(0, Inner + 1).Select(_ => (float)NextGaussian(random)).ToArray();
        for (int i = 0; i < 101; i++)
        {
            int node = 0;
            while (node < Inner)
                node = x[(p * 101 + i) * D + feature[node]] > 0 ? 2 * node + 2 : 2 * node + 1;
            y[p * 101 + i] = leaf[node - Inner];
        }
    }
    return (xs, tensor(y, new long[] { Batch, 101 }));
}

(Tensor, Tensor) Linear(int seed, int points, int sparsity)
{
    var xs = Gaussian(seed, points);
    var w = randn(Batch, D, 1, generator: new Generator((ulong)seed + 1));
    if (sparsity < D)
    {
        var keep = rand(Batch, D, generator: new Generator((ulong)seed + 2)).argsort(1).narrow(1, 0, sparsity);
        w = zeros_like(w).scatter(1, keep.unsqueeze(-1), w.gather(1, keep.unsqueeze(-1)));
    }
    return (xs, xs.bmm(w).squeeze(-1));
}

(Tensor, Tensor) Relu2nn(int seed)
{
    const int Hidden = 100;
    var xs = Gaussian(seed, 101);
    var w1 = randn(Batch, D, Hidden, generator: new Generator((ulong)seed + 1));
    var w2 = randn(Batch, Hidden, 1, generator: new Generator((ulong)seed + 2));
    return (xs, (nn.functional.relu(xs.bmm(w1)).bmm(w2) * Math.Sqrt(2.0 / Hidden)).squeeze(-1));
}

static double NextGaussian(Random random) =>
    Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

Console.WriteLine($"{Prompts} prompts in batches of {Batch}, d = {D}, {Environment.ProcessorCount} cores, {get_num_threads()} libtorch threads");
foreach (var id in new[] { ModelNames.LeastSquares, ModelNames.Knn(3), ModelNames.Averaging, ModelNames.TreeDepth4, ModelNames.Tree, ModelNames.BoostedTrees })
    Time("decision_tree (101 pts)", BaselineSet.ByName(id), Trees);
foreach (var alpha in ModelNames.LassoAlphas)
    Time("sparse_linear (41 pts)", new Lasso(alpha), seed => Linear(seed, 41, 3));
Time("linear (41 pts)", new LeastSquares(), seed => Linear(seed, 41, D));
Time("relu_2nn (101 pts)", new GradientDescentNet(), Relu2nn);

Console.WriteLine();
Console.WriteLine("| workload | model | seconds |");
Console.WriteLine("|---|---|---:|");
foreach (var (workload, model, seconds) in rows)
    Console.WriteLine($"| {workload} | {model} | {seconds:F2} |");
foreach (var group in rows.GroupBy(r => r.Workload))
    Console.WriteLine($"| {group.Key} | total | {group.Sum(r => r.Seconds):F2} |");
return 0;
