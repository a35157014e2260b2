using InContext.Baselines;
using InContext.Models;

namespace InContext.Reports;

/// <summary>The name a figure, table or report shows for a model id of metrics.json.</summary>
public static class ModelDisplay
{
    /// <summary>"Transformer", a learner's own display name, or an unknown id (the paper's names) as it is.</summary>
    public static string Name(string id) => id == InContextTransformer.Id ? "Transformer" : Learners.DisplayName(id);
}
