using static TorchSharp.torch;

namespace InContext.Tests.Baselines;

/// <summary>Small seeded prompts for the baseline tests, as float32 tensors and as the doubles they hold.</summary>
sealed class Data
{
    public readonly int B, N, D;
    public readonly double[,,] X;   // float32 values, held as double
    public readonly double[,] Y;

    public Data(double[,,] x, double[,] y)
    {
        B = x.GetLength(0); N = x.GetLength(1); D = x.GetLength(2); X = x; Y = y;
    }

    public static Data Gaussian(int seed, int b, int n, int d, Func<double[], double> f)
    {
        var random = new Random(seed);
        var x = new double[b, n, d];
        var y = new double[b, n];
        for (int p = 0; p < b; p++)
            for (int i = 0; i < n; i++)
            {
                var row = new double[d];
                for (int k = 0; k < d; k++) x[p, i, k] = row[k] = (float)Normal(random);
                y[p, i] = (float)f(row);
            }
        return new Data(x, y);
    }

    /// <summary>y = x · w, one w ~ N(0, I) for the whole data set, all but its first <paramref name="sparsity"/> coordinates zeroed.</summary>
    public static Data Linear(int seed, int b, int n, int d, int sparsity = int.MaxValue)
    {
        var random = new Random(seed + 1000);
        var w = Enumerable.Range(0, d).Select(_ => Normal(random)).ToArray();
        for (int k = Math.Min(sparsity, d); k < d; k++) w[k] = 0;
        return Gaussian(seed, b, n, d, x => x.Zip(w).Sum(t => t.First * t.Second));
    }

    public static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public Tensor Xs() => tensor(X.Cast<double>().Select(v => (float)v).ToArray(), new long[] { B, N, D });
    public Tensor Ys() => tensor(Y.Cast<double>().Select(v => (float)v).ToArray(), new long[] { B, N });

    public double[] Row(int p, int i) => Enumerable.Range(0, D).Select(k => X[p, i, k]).ToArray();

    /// <summary>The predictor's predictions on these prompts, as doubles [p, i].</summary>
    public double[,] PredictWith(InContext.IPredictor predictor)
    {
        using var scope = NewDisposeScope();
        return ToArray(predictor.Predict(Xs(), Ys()));
    }

    /// <summary>Predictions as doubles, [p, i].</summary>
    public static double[,] ToArray(Tensor predictions)
    {
        var flat = predictions.to(float64).data<double>().ToArray();
        int b = (int)predictions.shape[0], n = (int)predictions.shape[1];
        var result = new double[b, n];
        for (int p = 0; p < b; p++)
            for (int i = 0; i < n; i++) result[p, i] = flat[p * n + i];
        return result;
    }
}
