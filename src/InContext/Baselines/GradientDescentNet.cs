
using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// The paper's <c>GDModel</c>: at each position i, a fresh 2-layer ReLU net (hidden 100) trained
/// by Adam (lr 5e-3, 100 steps, mini-batches of up to 100 of the i pairs, mean squared error) on
/// the first i pairs, then evaluated on the query. As in the paper, the nets of all prompts of
/// a batch train jointly as one batched model (<see cref="BatchedMlp"/>): one loss, the mean
/// over prompts and pairs, and one mini-batch of pair indices shared by all prompts.
/// Seeded, so predictions are repeatable.
/// </summary>
public sealed class GradientDescentNet : Baseline
{
    /// <summary>The learner with the paper's settings unless told otherwise.</summary>
    /// <param name="hiddenSize">Hidden units of each net.</param>
    /// <param name="steps">Adam steps per fit.</param>
    /// <param name="batchSize">Most pairs per Adam step.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    /// <param name="seed">Seed of the nets' initialisation and mini-batches.</param>
    public GradientDescentNet(int hiddenSize = 100, int steps = 100, int batchSize = 100, double learningRate = 5e-3, long seed = 0)
    {
        HiddenSize = hiddenSize; Steps = steps; BatchSize = batchSize; LearningRate = learningRate; Seed = seed;
    }

    /// <summary>Hidden units of each net (the paper's 100).</summary>
    public int HiddenSize { get; }
    /// <summary>Adam steps per fit.</summary>
    public int Steps { get; }
    /// <summary>Most pairs per Adam step; fewer pairs are all used.</summary>
    public int BatchSize { get; }
    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; }
    /// <summary>Seed of the nets' initialisation and mini-batches, so that predictions repeat.</summary>
    public long Seed { get; }

    /// <summary>The identifier, <c>nn_gd</c>.</summary>
    public const string Id = "nn_gd";
    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => "2-layer NN, GD";

    /// <inheritdoc/>
    public override Tensor PredictQueries(Tensor xs, Tensor ys, Tensor queries)
    {
        var (b, n, _) = CheckShapes(xs, ys, queries);
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)Seed, CPU);
        var (x, y, q) = (Float32(xs), Float32(ys), Float32(queries));
        var predictions = new Tensor[n];
        predictions[0] = zeros(b, dtype: float32, device: xs.device);
        for (int i = 1; i < n; i++)
            predictions[i] = FitPredict(x, y, q, i, generator);
        return stack(predictions, 1).MoveToOuterDisposeScope();
    }

    /// <summary>One net per prompt, trained on the first n-1 pairs (its random start differs from
    /// <see cref="IPredictor.Predict"/>'s at that position, whose generator has served the earlier nets).</summary>
    public override Tensor PredictLast(Tensor xs, Tensor ys)
    {
        var (b, n, _) = CheckShapes(xs, ys, xs);
        if (n == 1) return zeros(b, dtype: float32, device: xs.device);
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)Seed, CPU);
        var (x, y) = (Float32(xs), Float32(ys));
        return FitPredict(x, y, x, n - 1, generator).MoveToOuterDisposeScope();
    }

    static Tensor Float32(Tensor t) => t.detach().to(float32);

    /// <summary>Predictions <c>[b]</c> at query i of nets trained on the first i pairs (float32 x <c>[b, n, d]</c>, y, queries).</summary>
    Tensor FitPredict(Tensor x, Tensor y, Tensor queries, int i, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var net = new BatchedMlp((int)x.shape[0], (int)x.shape[2], HiddenSize, x.device, generator);
        net.Train(x.narrow(1, 0, i), y.narrow(1, 0, i), Steps, BatchSize, LearningRate, generator);
        using (no_grad())
            return net.Forward(queries.narrow(1, i, 1)).reshape(x.shape[0]).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// <c>b</c> independent networks <c>Linear(d, h) → ReLU → Linear(h, 1)</c>, one per prompt,
/// evaluated together with batched matrix products. Initialised like PyTorch's <c>nn.Linear</c>:
/// weights and biases uniform in ±1/√fan_in.
/// </summary>
public sealed class BatchedMlp : IDisposable
{
    readonly TorchSharp.Modules.Parameter w1, b1, w2, b2;

    /// <paramref name="nets"/> freshly initialised nets on <paramref name="device"/>, drawn from <paramref name="generator"/> on the CPU.
    /// <param name="nets">How many nets (one per prompt).</param>
    /// <param name="inputs">The input dimension d.</param>
    /// <param name="hidden">Hidden units of each net.</param>
    /// <param name="device">Where the weights live.</param>
    /// <param name="generator">The CPU generator the initial weights are drawn from.</param>
    public BatchedMlp(int nets, int inputs, int hidden, Device device, Generator generator)
    {
        TorchSharp.Modules.Parameter Uniform(long[] shape, int fanIn)
        {
            double bound = 1 / Math.Sqrt(fanIn);
            using var values = rand(shape, float32, CPU, generator: generator) * (2 * bound) - bound;
            return new TorchSharp.Modules.Parameter(values.to(device));
        }
        w1 = Uniform(new long[] { nets, inputs, hidden }, inputs);
        b1 = Uniform(new long[] { nets, 1, hidden }, inputs);
        w2 = Uniform(new long[] { nets, hidden, 1 }, hidden);
        b2 = Uniform(new long[] { nets, 1, 1 }, hidden);
    }

    /// <summary><paramref name="x"/> <c>[nets, m, d]</c> → <c>[nets, m]</c>.</summary>
    public Tensor Forward(Tensor x) =>
        nn.functional.relu(x.bmm(w1) + b1).bmm(w2).add(b2).squeeze(-1);

    /// <summary>
    /// Adam on the mean squared error over all nets and the chosen pairs; each step uses all
    /// pairs when there are at most <paramref name="batchSize"/>, else a random subset of that
    /// size shared by all nets. Returns the loss before each step.
    /// </summary>
    public float[] Train(Tensor x, Tensor y, int steps, int batchSize, double learningRate, Generator generator)
    {
        int m = (int)x.shape[1];
        var losses = new float[steps];
        using var optimizer = optim.Adam(new[] { w1, b1, w2, b2 }, lr: learningRate);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            Tensor batchX = x, batchY = y;
            if (m > batchSize)
            {
                var chosen = randperm(m, generator: generator).narrow(0, 0, batchSize).to(x.device);
                batchX = x.index_select(1, chosen);
                batchY = y.index_select(1, chosen);
            }
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(Forward(batchX), batchY);
            loss.backward();
            optimizer.step();
            losses[step] = loss.item<float>();
        }
        return losses;
    }

    /// <summary>Disposes the weights.</summary>
    public void Dispose()
    {
        w1.Dispose(); b1.Dispose(); w2.Dispose(); b2.Dispose();
    }
}
