using static TorchSharp.torch;

namespace InContext.Baselines;

/// <summary>
/// A learner whose prediction after a context is linear in the query, <c>x · w</c>, with w fitted
/// on the context (least squares, ridge, averaging, gradient descent from zero, dMMSE). It states
/// that w, so that a model can be compared with it weight by weight (Akyürek et al. 2023's implicit
/// linear weights), and predicts many queries of one context from one fit.
/// </summary>
public interface ILinearLearner : IPredictor
{
    /// <summary>
    /// The weights fitted on all <c>k</c> pairs of each prompt (<paramref name="xs"/> <c>[b, k, d]</c>,
    /// <paramref name="ys"/> <c>[b, k]</c>; k may be 0), <c>[b, d]</c> float64 on the CPU: after that
    /// context the learner predicts <c>x · w</c>.
    /// </summary>
    Tensor Weights(Tensor xs, Tensor ys);

    /// <summary>Every query of a prompt from one fit of its context: <c>queries · w</c>.</summary>
    Tensor IPredictor.PredictAtContext(Tensor xs, Tensor ys, Tensor queries)
    {
        using var scope = NewDisposeScope();
        var w = Weights(xs, ys);
        return queries.detach().to(CPU).to(float64).bmm(w.unsqueeze(-1)).squeeze(-1).to(float32).to(queries.device).MoveToOuterDisposeScope();
    }
}
