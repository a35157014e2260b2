namespace InContext.Baselines;

/// <summary>
/// L2-regularised logistic regression on the first i pairs, as scikit-learn's
/// <c>LogisticRegression(C=1, fit_intercept=False)</c>: w minimises
/// <c>Σ log(1 + exp(−y_j x_j·w)) + ½‖w‖²</c> (labels ±1); the prediction is the decision value
/// <c>x·w</c>, whose sign is the label. The penalty keeps the problem strictly convex when the
/// pairs are separable, as few pairs in d dims always are.
/// <para>
/// Solved by Newton's method, warm-started from the previous prefix's w, each step a d×d
/// Cholesky solve written here: the systems are tiny and solved inside the parallel loop over
/// prompts, where a library call per solve would allocate more than it computes.
/// </para>
/// </summary>
public sealed class LogisticRegressionLearner : PerPromptLearner
{
    /// <summary>The identifier, <c>logistic</c>.</summary>
    public const string Id = "logistic";
    /// <summary>The most Newton steps per fit.</summary>
    public const int MaxNewtonSteps = 100;
    /// <summary>Newton's method stops once a step's Euclidean length is below this.</summary>
    public const double Tolerance = 1e-10;

    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => "Logistic Regression (L2, C=1)";

    /// <inheritdoc/>
    protected override double[] PredictPrompt(Prompt prompt)
    {
        var w = new double[prompt.D];
        var predictions = new double[prompt.N];
        for (int i = 1; i < prompt.N; i++)
        {
            Fit(prompt, i, w);
            predictions[i] = Dot(w, prompt.Query(i));
        }
        return predictions;
    }

    /// <summary>The last position from one fit on the first N-1 pairs, started from zero.</summary>
    protected override double PredictLastOfPrompt(Prompt prompt)
    {
        var w = new double[prompt.D];
        Fit(prompt, prompt.N - 1, w);
        return Dot(w, prompt.Query(prompt.N - 1));
    }

    /// <summary>Newton's method on the first <paramref name="count"/> pairs, from (and into) <paramref name="w"/>.</summary>
    public static void Fit(Prompt prompt, int count, double[] w)
    {
        int d = prompt.D;
        var gradient = new double[d];
        var hessian = new double[d * d];
        for (int step = 0; step < MaxNewtonSteps; step++)
        {
            // gradient: w − Σ y_j x_j σ(−y_j x_j·w); hessian: I + Σ σ(1 − σ) x_j x_jᵀ
            Array.Copy(w, gradient, d);
            Array.Clear(hessian);
            for (int k = 0; k < d; k++) hessian[k * d + k] = 1;
            for (int j = 0; j < count; j++)
            {
                var x = prompt.Row(j);
                var margin = prompt.Y[j] * Dot(w, x);
                var s = 1 / (1 + Math.Exp(margin));          // σ(−margin)
                for (int a = 0; a < d; a++)
                {
                    gradient[a] -= prompt.Y[j] * x[a] * s;
                    var weight = s * (1 - s) * x[a];
                    for (int b = 0; b <= a; b++) hessian[a * d + b] += weight * x[b];
                }
            }
            SolveCholesky(hessian, gradient, d);            // gradient now holds the Newton step
            double size = 0;
            for (int a = 0; a < d; a++) { w[a] -= gradient[a]; size += gradient[a] * gradient[a]; }
            if (size < Tolerance * Tolerance) return;
        }
    }

    /// <summary>Solves A s = b in place for a symmetric positive definite A given by its lower triangle (b becomes s).</summary>
    static void SolveCholesky(double[] a, double[] b, int d)
    {
        for (int j = 0; j < d; j++)
        {
            var sum = a[j * d + j];
            for (int k = 0; k < j; k++) sum -= a[j * d + k] * a[j * d + k];
            var diagonal = Math.Sqrt(sum);
            a[j * d + j] = diagonal;
            for (int i = j + 1; i < d; i++)
            {
                var s = a[i * d + j];
                for (int k = 0; k < j; k++) s -= a[i * d + k] * a[j * d + k];
                a[i * d + j] = s / diagonal;
            }
        }
        for (int i = 0; i < d; i++)
        {
            var s = b[i];
            for (int k = 0; k < i; k++) s -= a[i * d + k] * b[k];
            b[i] = s / a[i * d + i];
        }
        for (int i = d - 1; i >= 0; i--)
        {
            var s = b[i];
            for (int k = i + 1; k < d; k++) s -= a[k * d + i] * b[k];
            b[i] = s / a[i * d + i];
        }
    }

    static double Dot(double[] w, ReadOnlySpan<double> x)
    {
        double s = 0;
        for (int k = 0; k < w.Length; k++) s += w[k] * x[k];
        return s;
    }
}
