

namespace InContext.Baselines;

/// <summary>
/// The paper's gradient-boosted trees (<c>xgboost.XGBRegressor()</c> with its defaults)
/// on the first i pairs, by XGBoost's exact greedy method (<see cref="ExactGreedyBooster"/>).
/// One booster per prompt, refitted on each prefix; prompts in parallel.
/// <para>
/// Remaining differences from XGBoost: it starts from <c>base_score</c> 0.5 in 1.x (2.x
/// estimates it from the data; here the mean of y, which after 100 rounds at rate 0.3 barely
/// matters); it scores splits and predicts in float32, where this uses double (features and
/// thresholds are float32 in both); exact ties within a feature go to its highest threshold,
/// here to the lowest. LightGBM with the same
/// settings (<see cref="LightGbmBoostedTrees"/>) agrees with this to rounding where values are
/// away from zero; the tests compare the two.
/// </para>
/// </summary>
public sealed class BoostedTrees : IndependentPrefixLearner
{
    /// <summary>Boosted trees with <paramref name="settings"/> (by default XGBoost's defaults, as the paper).</summary>
    /// <param name="settings">The boosting settings; null for <see cref="BoostingSettings"/>' defaults.</param>
    public BoostedTrees(BoostingSettings? settings = null) => Settings = (settings ?? new BoostingSettings()).Validated();

    /// <summary>The boosting settings, validated.</summary>
    public BoostingSettings Settings { get; }
    /// <summary>The identifier, <c>boosted_trees</c>.</summary>
    public const string Id = "boosted_trees";
    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => "Boosted Trees (XGBoost defaults)";

    /// <inheritdoc/>
    protected override Func<int, double> Prepare(Prompt prompt)
    {
        var sorted = new SortedColumns(prompt);
        var booster = new ExactGreedyBooster(Settings, prompt);
        return i => booster.FitPredict(sorted.Prefix(i), i, prompt.Query(i));
    }
}
