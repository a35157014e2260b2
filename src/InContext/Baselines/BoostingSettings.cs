namespace InContext.Baselines;

/// <summary>
/// Gradient boosting's settings, defaulting to <c>xgboost.XGBRegressor()</c>'s, which the paper
/// used: 100 trees, learning rate (eta) 0.3, depth 6, L2 leaf penalty (lambda) 1,
/// min_child_weight 1, squared error.
/// </summary>
/// <param name="Rounds">Boosting rounds: trees added (XGBoost's n_estimators).</param>
/// <param name="LearningRate">Each tree's shrinkage (XGBoost's eta).</param>
/// <param name="MaxDepth">The deepest a tree grows.</param>
/// <param name="Lambda">The L2 penalty on leaf values (XGBoost's reg_lambda).</param>
/// <param name="MinChildWeight">The least hessian sum a child may hold; with squared error, its number of samples.</param>
/// <param name="MinSplitGain">A node splits only if the loss falls by more than this. XGBoost's
/// exact method uses 1e-6 (its <c>kRtEps</c>, with gamma 0); LightGBM uses 0.</param>
public sealed record BoostingSettings(
    int Rounds = 100,
    double LearningRate = 0.3,
    int MaxDepth = 6,
    double Lambda = 1.0,
    double MinChildWeight = 1.0,
    double MinSplitGain = 1e-6)
{
    /// <summary>Refuses settings no booster can use.</summary>
    public BoostingSettings Validated()
    {
        if (Rounds < 1) throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, "at least one round");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be positive");
        if (MaxDepth < 1) throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "depth must be at least 1");
        if (!(Lambda >= 0)) throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "must be non-negative");
        if (!(MinChildWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(MinChildWeight), MinChildWeight, "must be non-negative");
        if (!(MinSplitGain >= 0)) throw new ArgumentOutOfRangeException(nameof(MinSplitGain), MinSplitGain, "must be non-negative");
        return this;
    }
}
