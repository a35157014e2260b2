namespace InContext.Baselines;

/// <summary>
/// A per-prompt learner that fits each prefix afresh (trees, boosting): nothing carries over from
/// one prefix to the next except what the prompt's prefixes share (presorted columns, scratch
/// space). So the whole prompt is one loop over positions, and the last position alone is one fit.
/// </summary>
public abstract class IndependentPrefixLearner : PerPromptLearner
{
    /// <summary>
    /// Prepares what <paramref name="prompt"/>'s prefixes share and returns the predictor of
    /// position <c>i</c> (1 ≤ i &lt; N) from the first i pairs and query i. The returned function
    /// is used by one thread.
    /// </summary>
    protected abstract Func<int, double> Prepare(Prompt prompt);

    /// <inheritdoc/>
    protected sealed override double[] PredictPrompt(Prompt prompt)
    {
        var at = Prepare(prompt);
        var predictions = new double[prompt.N];
        for (int i = 1; i < prompt.N; i++) predictions[i] = at(i);
        return predictions;
    }

    /// <inheritdoc/>
    protected sealed override double PredictLastOfPrompt(Prompt prompt) => Prepare(prompt)(prompt.N - 1);
}
