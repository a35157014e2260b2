

namespace InContext.Baselines;

/// <summary>
/// Gradient-boosted regression trees on the first i pairs, through LightGBM's native library
/// (the paper used <c>xgboost.XGBRegressor()</c> with its defaults; NuGet serves LightGBM, not
/// XGBoost). One booster per prompt and prefix, single-threaded, prompts in parallel. Selected
/// by name (<c>boosted_trees_lightgbm</c>); the evaluation's <c>boosted_trees</c> is
/// <see cref="BoostedTrees"/>, the same method by XGBoost's exact algorithm, far faster on
/// these tiny data sets, and checked against this one in the tests.
/// <para>
/// Parameters, chosen to match XGBoost's defaults as closely as LightGBM allows:
/// <list type="bullet">
/// <item><c>num_iterations=100</c>, <c>learning_rate=0.3</c>: XGBoost's n_estimators and eta.</item>
/// <item><c>max_depth=6</c>, <c>num_leaves=64</c>: XGBoost grows depth-wise to depth 6; LightGBM
/// grows leaf-wise, but with room for 2⁶ = 64 leaves the leaf cap never binds before the depth
/// cap, and each leaf's split depends only on its own samples, so both end with the same
/// tree shape: every node above depth 6 with a split of positive gain is split.</item>
/// <item><c>lambda_l2=1</c>: XGBoost's reg_lambda; leaf value −G/(H+λ) and split gain agree.
/// <c>lambda_l1=0</c> is XGBoost's alpha; <c>min_gain_to_split=1e-6</c> is the least loss
/// reduction XGBoost's exact method splits on (gamma 0 plus its rounding guard).</item>
/// <item><c>min_sum_hessian_in_leaf=1−1e-9</c>: XGBoost's min_child_weight; squared error has unit
/// hessians, so a child needs one sample, which <c>min_data_in_leaf=1</c> also says
/// (LightGBM's default, 20, would forbid every split on these tiny data sets). The bound is
/// lowered by a relative 1e-9 because LightGBM's hessian sums carry a 1e-15 guard: a child of
/// exactly one sample would weigh a hair under 1 and be refused, which XGBoost allows.</item>
/// <item><c>min_data_in_bin=1</c>, <c>max_bin=255</c>, <c>feature_pre_filter=false</c>: at most
/// 100 samples, so every distinct value gets its own bin and thresholds fall midway between
/// consecutive distinct values, like XGBoost's exact greedy method.</item>
/// <item><c>boost_from_average=true</c>: the first prediction is the mean of y; XGBoost 1.x starts
/// from base_score 0.5 (XGBoost 2.x estimates it from the data). After 100 rounds at rate 0.3
/// the start barely matters on the training points.</item>
/// <item><c>num_threads=1</c>, <c>deterministic=true</c>, <c>force_col_wise=true</c>,
/// <c>verbosity=-1</c>: one thread per booster (parallelism is over prompts), repeatable results,
/// no timing probe, no console output.</item>
/// </list>
/// Remaining differences: LightGBM's thresholds lie midway between neighbouring values of the
/// whole data set (its bins are global), XGBoost's between neighbours within the node, so a
/// query falling between a node's samples may go the other way; once no split gains more than
/// the minimum, LightGBM stops boosting while XGBoost keeps adding one-leaf trees; LightGBM puts a bin edge at zero (values in ±1e-35 form their own bin),
/// so a split between the largest negative and the smallest positive value sits at 0, not at
/// their midpoint; LightGBM's histogram sums are float64 throughout while XGBoost's exact method
/// is float32-based; ties between equally good splits may be broken differently.
/// </para>
/// <para>
/// Cost: with every distinct value its own bin, each split scans all bins of all features (perf:
/// most of the time in FeatureHistogram's threshold search and Dataset::FixHistogram), on top of
/// a fresh dataset per prefix: about 39 s for 64 prompts of 100 prefixes × 20 features, ~800 s
/// for the paper's decision-tree evaluation on 2 cores, where <see cref="BoostedTrees"/> takes 75 s.
/// </para>
/// </summary>
public sealed class LightGbmBoostedTrees : IndependentPrefixLearner
{
    /// <summary>Boosted trees through LightGBM with <paramref name="settings"/> (by default XGBoost's defaults).</summary>
    /// <param name="settings">The boosting settings; null for <see cref="BoostingSettings"/>' defaults.</param>
    public LightGbmBoostedTrees(BoostingSettings? settings = null)
    {
        Settings = (settings ?? new BoostingSettings()).Validated();
        var s = Settings;
        Parameters = FormattableString.Invariant(
            $"objective=regression learning_rate={s.LearningRate:R} max_depth={s.MaxDepth} num_leaves={1 << Math.Min(s.MaxDepth, 17)} lambda_l2={s.Lambda:R} lambda_l1=0 min_gain_to_split={s.MinSplitGain:R} min_sum_hessian_in_leaf={s.MinChildWeight * (1 - 1e-9):R} ")
            + "min_data_in_leaf=1 min_data_in_bin=1 max_bin=255 feature_pre_filter=false boost_from_average=true "
            + "num_threads=1 deterministic=true force_col_wise=true seed=0 verbosity=-1";
    }

    /// <summary>The boosting settings, validated.</summary>
    public BoostingSettings Settings { get; }
    /// <summary>The identifier, <c>boosted_trees_lightgbm</c>.</summary>
    public const string Id = "boosted_trees_lightgbm";
    /// <inheritdoc/>
    public override string Name => Id;
    /// <inheritdoc/>
    public override string DisplayName => "Boosted Trees (LightGBM)";

    /// <summary>LightGBM parameters for both the data set (binning) and the booster.</summary>
    public string Parameters { get; }

    /// <inheritdoc/>
    protected override Func<int, double> Prepare(Prompt prompt) => i =>
    {
        using var model = Fit(prompt.X.AsSpan(0, i * prompt.D), prompt.Y.AsSpan(0, i), prompt.D);
        return model.Predict(prompt.Query(i))[0];
    };

    /// <summary>A booster with this learner's settings trained on <paramref name="x"/> (row-major, <paramref name="features"/> columns) and <paramref name="y"/>.</summary>
    public LightGbmRegressor Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int features) =>
        new(x, y, y.Length, features, Parameters, Settings.Rounds);
}
