using InContext.Baselines;
using InContext.Models;

namespace InContext.Reports;

/// <summary>The name a figure, table or report shows for a model id of metrics.json.</summary>
public static class ModelDisplay
{
    /// <summary>"Transformer", a learner's own display name, or an unknown id (the paper's names) as it is; one seed's entry of a model (<c>transformer@seed 2</c>) as "Transformer (seed 2)".</summary>
    public static string Name(string id)
    {
        var at = id.IndexOf(Evaluation.SeedSpread.Mark, StringComparison.Ordinal);
        if (at > 0) return $"{Name(id[..at])} ({id[(at + 1)..]})";
        return id == InContextTransformer.Id ? "Transformer" : Learners.DisplayName(id);
    }
}
