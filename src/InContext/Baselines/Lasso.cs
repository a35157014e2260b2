

namespace InContext.Baselines;

/// <summary>
/// Lasso without intercept, scikit-learn's objective ‖y − Xw‖²/(2i) + α‖w‖₁ on the first i pairs,
/// as scikit-learn's <c>Lasso(alpha, fit_intercept=False, max_iter=100000)</c> in the paper.
/// Written by hand: no package served here solves the Lasso well.
/// <para>
/// Solver: cyclic coordinate descent (scikit-learn's update) warm-started from the previous
/// prefix's solution. The Gram matrix XᵀX and Xᵀy grow by a rank-one update per new pair, so a
/// coordinate step costs O(d) whatever i is (scikit-learn's "precompute" path). Below d samples
/// with small α, descent crawls (thousands of sweeps); after <see cref="WarmSweeps"/> sweeps the
/// solver takes the exact solution from the Lasso homotopy (LARS with the Lasso modification)
/// and lets descent confirm it. The solution is unique for Gaussian data, so warm starts and the
/// homotopy change the speed, not the answer; the homotopy turns seconds of descent below d
/// samples into hundredths (docs/performance.md, "Choices").
/// </para>
/// <para>
/// Stopping rule: tighter than scikit-learn's (duality gap below 1e-4 ‖y‖²). Descent stops once
/// every coordinate meets the optimality (KKT) conditions to <see cref="KktTolerance"/>:
/// |X_jᵀ(y − Xw)/i| ≤ α, with equality α·sign(w_j) where w_j ≠ 0; as in scikit-learn, after at
/// most <see cref="MaxIterations"/> sweeps in all.
/// </para>
/// </summary>
public sealed class Lasso : PerPromptLearner
{
    /// <summary>The most coordinate-descent sweeps in all, as scikit-learn's <c>max_iter</c> in the paper.</summary>
    public const int MaxIterations = 100_000;
    /// <summary>How far from the optimality (KKT) conditions a coordinate may be when descent stops.</summary>
    public const double KktTolerance = 1e-9;
    /// <summary>Warm-started descent sweeps before switching to the homotopy.</summary>
    public const int WarmSweeps = 30;

    /// <summary>The Lasso with strength <paramref name="alpha"/>.</summary>
    /// <param name="alpha">The L1 penalty's strength α, positive.</param>
    public Lasso(double alpha)
    {
        if (!(alpha > 0)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be positive");
        Alpha = alpha;
    }

    /// <summary>The L1 penalty's strength α.</summary>
    public double Alpha { get; }
    /// <summary>The strengths the paper compares on sparse regression.</summary>
    public static readonly double[] PaperAlphas = { 1, 0.1, 0.01, 0.001, 0.0001 };

    /// <summary>The identifier of the Lasso with strength <paramref name="alpha"/>, e.g. <c>lasso_0.01</c>.</summary>
    public static string IdOf(double alpha) => $"lasso_{alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    /// <inheritdoc/>
    public override string Name => IdOf(Alpha);
    /// <inheritdoc/>
    public override string DisplayName => $"Lasso (alpha={Alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)})";

    /// <inheritdoc/>
    protected override double[] PredictPrompt(Prompt prompt)
    {
        var weights = FitPrefixes(prompt);
        var predictions = new double[prompt.N];
        for (int i = 1; i < prompt.N; i++)
            predictions[i] = Dot(weights[i], prompt.Query(i));
        return predictions;
    }

    /// <summary>The last position from one fit on the first N-1 pairs, started from zero.</summary>
    protected override double PredictLastOfPrompt(Prompt prompt)
    {
        int count = prompt.N - 1, d = prompt.D;
        var (gram, xty, w) = (new double[d * d], new double[d], new double[d]);
        for (int i = 0; i < count; i++) AddPair(gram, xty, prompt.Row(i), prompt.Y[i]);
        Solve(gram, xty, count, w);
        return Dot(w, prompt.Query(count));
    }

    /// <summary>Entry i is the Lasso solution on the first i pairs of the prompt (entry 0 is zero).</summary>
    public double[][] FitPrefixes(Prompt prompt)
    {
        int n = prompt.N, d = prompt.D;
        var gram = new double[d * d];   // Σ x xᵀ over the pairs so far
        var xty = new double[d];        // Σ y x
        var w = new double[d];
        var weights = new double[n][];
        weights[0] = new double[d];
        for (int i = 1; i < n; i++)
        {
            AddPair(gram, xty, prompt.Row(i - 1), prompt.Y[i - 1]);
            Solve(gram, xty, i, w);
            weights[i] = (double[])w.Clone();
        }
        return weights;
    }

    /// <summary>Adds one pair to the sufficient statistics Σ x xᵀ and Σ y x.</summary>
    static void AddPair(double[] gram, double[] xty, ReadOnlySpan<double> x, double y)
    {
        int d = x.Length;
        for (int j = 0; j < d; j++)
        {
            xty[j] += y * x[j];
            for (int k = 0; k < d; k++)
                gram[j * d + k] += x[j] * x[k];
        }
    }

    /// <summary>
    /// Minimises ½wᵀGw − cᵀw + λ‖w‖₁ with λ = α·samples (the objective times samples), starting
    /// from and overwriting <paramref name="w"/>: coordinate descent from the warm start; if that
    /// has not converged after <see cref="WarmSweeps"/> sweeps (small α below d samples, where
    /// coordinate descent crawls), the exact solution by the homotopy, polished by descent.
    /// </summary>
    void Solve(double[] gram, double[] c, int samples, double[] w)
    {
        double lambda = Alpha * samples, tolerance = KktTolerance * samples;
        if (Descend(gram, c, lambda, tolerance, w, WarmSweeps)) return;
        var exact = new double[c.Length];
        if (Homotopy(gram, c, lambda, exact)) Array.Copy(exact, w, w.Length);
        Descend(gram, c, lambda, tolerance, w, MaxIterations - WarmSweeps);
    }

    /// <summary>Cyclic coordinate descent (scikit-learn's update) for at most <paramref name="sweeps"/> sweeps; true once converged.</summary>
    static bool Descend(double[] gram, double[] c, double lambda, double tolerance, double[] w, int sweeps)
    {
        int d = c.Length;
        var gw = new double[d];   // G w, kept current through the sweeps
        Multiply(gram, w, gw);
        for (int sweep = 0; sweep < sweeps; sweep++)
        {
            for (int j = 0; j < d; j++)
            {
                double gjj = gram[j * d + j];
                if (gjj == 0) { w[j] = 0; continue; }   // column of zeros: any w_j is optimal, take 0
                double rho = c[j] - gw[j] + gjj * w[j];
                double updated = Math.Sign(rho) * Math.Max(Math.Abs(rho) - lambda, 0) / gjj;
                double delta = updated - w[j];
                if (delta == 0) continue;
                w[j] = updated;
                for (int k = 0; k < d; k++)
                    gw[k] += delta * gram[k * d + j];
            }
            if (MaxKktViolation(c, gw, w, lambda) <= tolerance)
            {
                Multiply(gram, w, gw);   // rule out drift in the running G w before stopping
                if (MaxKktViolation(c, gw, w, lambda) <= tolerance)
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The Lasso path by homotopy (LARS with the Lasso modification, Efron et al. 2004): from
    /// λ = max|c_j|, where w = 0, follow the piecewise-linear solution down to
    /// <paramref name="lambda"/>, adding a coordinate when its correlation reaches λ and dropping
    /// one when it crosses zero. Exact up to rounding. False if a step is degenerate (singular
    /// active Gram matrix, too many steps); coordinate descent then carries on alone.
    /// </summary>
    static bool Homotopy(double[] gram, double[] c, double lambda, double[] w)
    {
        int d = c.Length;
        var r = (double[])c.Clone();   // c − G w: the correlations with the residual
        int first = 0;
        for (int j = 1; j < d; j++) if (Math.Abs(c[j]) > Math.Abs(c[first])) first = j;
        double current = Math.Abs(c[first]);
        if (current <= lambda) return true;   // w = 0 is optimal
        var active = new List<int> { first };
        var direction = new double[d];
        var slope = new double[d];
        for (int step = 0; step < 8 * d; step++)
        {
            // Along the path the active correlations are current·sign(w_j): w_A moves by v with G_AA v = s_A.
            int m = active.Count;
            var a = new double[m * m];
            var v = new double[m];
            for (int p = 0; p < m; p++)
            {
                v[p] = Math.Sign(r[active[p]]);
                for (int q = 0; q < m; q++) a[p * m + q] = gram[active[p] * d + active[q]];
            }
            if (!CholeskySolve(a, v, m)) return false;
            Array.Clear(direction);
            for (int p = 0; p < m; p++) direction[active[p]] = v[p];
            Multiply(gram, direction, slope);   // r_j falls by γ·slope_j while λ falls by γ

            double gamma = current - lambda;
            int joining = -1, leaving = -1;
            for (int j = 0; j < d; j++)
            {
                if (direction[j] != 0 || active.Contains(j))
                {
                    double toZero = -w[j] / direction[j];
                    if (w[j] != 0 && toZero > 0 && toZero < gamma) { gamma = toZero; leaving = j; joining = -1; }
                    continue;
                }
                if (gram[j * d + j] == 0) continue;
                foreach (double t in new[] { (current - r[j]) / (1 - slope[j]), (current + r[j]) / (1 + slope[j]) })
                    if (t > 1e-12 * current && t < gamma) { gamma = t; joining = j; leaving = -1; }
            }
            for (int j = 0; j < d; j++) w[j] += gamma * direction[j];
            current -= gamma;
            for (int j = 0; j < d; j++) r[j] = c[j] - Dot(gram.AsSpan(j * d, d), w);
            if (leaving >= 0) { w[leaving] = 0; active.Remove(leaving); }
            else if (joining >= 0) active.Add(joining);
            else return true;   // reached λ
            if (active.Count == 0) return false;
        }
        return false;
    }

    /// <summary>Solves A x = b in place (b becomes x) for symmetric positive definite A; false if A is not (numerically).</summary>
    static bool CholeskySolve(double[] a, double[] b, int m)
    {
        for (int j = 0; j < m; j++)
        {
            double diagonal = a[j * m + j];
            for (int k = 0; k < j; k++) diagonal -= a[j * m + k] * a[j * m + k];
            if (!(diagonal > 1e-12 * a[j * m + j])) return false;
            a[j * m + j] = Math.Sqrt(diagonal);
            for (int i = j + 1; i < m; i++)
            {
                double v = a[i * m + j];
                for (int k = 0; k < j; k++) v -= a[i * m + k] * a[j * m + k];
                a[i * m + j] = v / a[j * m + j];
            }
        }
        for (int i = 0; i < m; i++)   // L y = b
        {
            double v = b[i];
            for (int k = 0; k < i; k++) v -= a[i * m + k] * b[k];
            b[i] = v / a[i * m + i];
        }
        for (int i = m - 1; i >= 0; i--)   // Lᵀ x = y
        {
            double v = b[i];
            for (int k = i + 1; k < m; k++) v -= a[k * m + i] * b[k];
            b[i] = v / a[i * m + i];
        }
        return true;
    }

    /// <summary>Largest violation of the optimality conditions, in units of the scaled objective.</summary>
    static double MaxKktViolation(double[] c, double[] gw, double[] w, double lambda)
    {
        double worst = 0;
        for (int j = 0; j < c.Length; j++)
        {
            double gradient = c[j] - gw[j];   // X_jᵀ(y − Xw)
            double violation = w[j] == 0
                ? Math.Abs(gradient) - lambda
                : Math.Abs(gradient - lambda * Math.Sign(w[j]));
            worst = Math.Max(worst, violation);
        }
        return worst;
    }

    static void Multiply(double[] matrix, double[] v, double[] result)
    {
        int d = v.Length;
        for (int j = 0; j < d; j++)
            result[j] = Dot(matrix.AsSpan(j * d, d), v);
    }

    static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += a[j] * b[j];
        return s;
    }
}
