using InContext.Baselines;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Baselines;

public class LeastSquaresTests
{
    [Fact]
    public void Exact_on_consistent_systems_from_d_examples_on()
    {
        var data = Data.Linear(seed: 1, b: 4, n: 14, d: 5);
        var predictions = data.PredictWith(new LeastSquares());
        for (int p = 0; p < data.B; p++)
            for (int i = data.D; i < data.N; i++)
                Assert.Equal(data.Y[p, i], predictions[p, i], 1e-3);
    }

    [Fact]
    public void Below_d_examples_gives_the_minimum_norm_interpolant()
    {
        var data = Data.Linear(seed: 2, b: 3, n: 8, d: 8);
        var predictions = data.PredictWith(new LeastSquares());
        for (int p = 0; p < data.B; p++)
            for (int i = 1; i < data.D; i++)
            {
                // w = Xᵀ (X Xᵀ)⁻¹ y, the minimum-norm solution of X w = y for X of full row rank i.
                var rows = Enumerable.Range(0, i).Select(j => data.Row(p, j)).ToArray();
                var gram = new double[i, i];
                for (int a = 0; a < i; a++)
                    for (int c = 0; c < i; c++) gram[a, c] = Dot(rows[a], rows[c]);
                var coefficients = SolveLinear(gram, Enumerable.Range(0, i).Select(j => data.Y[p, j]).ToArray());
                var w = new double[data.D];
                for (int j = 0; j < i; j++)
                    for (int k = 0; k < data.D; k++) w[k] += coefficients[j] * rows[j][k];
                Assert.Equal(Dot(w, data.Row(p, i)), predictions[p, i], 1e-4);
            }
    }

    [Fact]
    public void Zero_padded_dims_never_spoil_the_solution()
    {
        // As the curriculum pads: 2 of 5 dims carry values. libtorch's gelsy used to misjudge the
        // rank of such systems now and then (stale pivots); every repetition must be exact.
        using var scope = NewDisposeScope();
        for (var repeat = 0; repeat < 20; repeat++)
        {
            using var g = new Generator(1);
            var xs = randn(new long[] { 64, 11, 5 }, generator: g);
            xs.narrow(2, 2, 3).zero_();
            var ys = xs.matmul(randn(new long[] { 64, 5, 1 }, generator: g)).squeeze(-1);
            var error = (new LeastSquares().Predict(xs, ys) - ys).narrow(1, 2, 9).abs().max().ToDouble();
            Assert.True(error < 1e-4, $"repeat {repeat}: error {error} from 2 examples on");
        }
    }

    [Fact]
    public void A_rank_deficient_context_gets_the_minimum_norm_answer()
    {
        // The third row is 6 × the first − 0.4 × the second: rank 2, and the outputs fit no w exactly.
        // Rounded to float32 the context keeps a singular value of 3e-9 where it had 0; judged at
        // float64's precision that counted as rank 3, and the prediction was -4.37e7.
        double[][] rows = [[0.1, 0.2, 0.3], [-1, 0.5, 2], [1, 1, 1]];
        double[] y = [1, 0.3, 1], query = [0.3, 0.1, -0.5];
        var xs = tensor(rows.Append(query).SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { 1, 4, 3 });
        var ys = tensor(y.Append(0).Select(v => (float)v).ToArray(), new long[] { 1, 4 });
        var prediction = new LeastSquares().Predict(xs, ys)[0, 3].ToDouble();

        // The minimum-norm least-squares solution lies in the row space, w = a·r1 + b·r2: a and b
        // minimise |X w − y|², the normal equations of the 3 × 2 system G = X [r1 r2].
        var g = rows.Select(r => new[] { Dot(r, rows[0]), Dot(r, rows[1]) }).ToArray();
        var normal = new double[2, 2];
        for (int a = 0; a < 2; a++)
            for (int c = 0; c < 2; c++) normal[a, c] = g.Sum(r => r[a] * r[c]);
        var ab = SolveLinear(normal, [g.Select((r, j) => r[0] * y[j]).Sum(), g.Select((r, j) => r[1] * y[j]).Sum()]);
        var w = rows[0].Zip(rows[1], (u, v) => ab[0] * u + ab[1] * v).ToArray();
        Assert.Equal(0.0191, Dot(w, query), 4);
        Assert.Equal(Dot(w, query), prediction, 1e-4);
    }

    static double Dot(double[] a, double[] b) => a.Zip(b).Sum(t => t.First * t.Second);

    /// <summary>Gaussian elimination with partial pivoting.</summary>
    static double[] SolveLinear(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (int col = 0; col < n; col++)
        {
            int pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(m[r, col]));
            for (int k = 0; k < n; k++) (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            (x[col], x[pivot]) = (x[pivot], x[col]);
            for (int r = col + 1; r < n; r++)
            {
                double factor = m[r, col] / m[col, col];
                for (int k = col; k < n; k++) m[r, k] -= factor * m[col, k];
                x[r] -= factor * x[col];
            }
        }
        for (int r = n - 1; r >= 0; r--)
        {
            for (int k = r + 1; k < n; k++) x[r] -= m[r, k] * x[k];
            x[r] /= m[r, r];
        }
        return x;
    }
}
