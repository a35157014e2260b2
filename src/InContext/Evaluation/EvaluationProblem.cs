using InContext.Config;
using InContext.Tasks;

namespace InContext.Evaluation;

/// <summary>What an evaluation asks: prompts of <paramref name="NPoints"/> points from <paramref name="Task"/>.</summary>
public sealed record EvaluationProblem(FunctionClass Task, int NPoints)
{
    /// <summary>The input dimension d of the task.</summary>
    public int NDims => Task.NDims;

    /// <summary>A run's problem: its task at the curriculum's end (all dims, the longest prompts).</summary>
    public static EvaluationProblem Of(RunConfig config) => new(config.CreateTask(), config.Training.Curriculum.Points.End);

    /// <summary>One line: the task with its settings, the dims and the prompt length.</summary>
    public string Describe() => $"{Task.Describe()}, d={NDims}, {NPoints} points";
}

/// <summary>
/// What a metrics.json entry was computed on, written beside it (<c>evaluated_on</c>): the
/// problem and checkpoint, then the prompts. An entry is reused only for the same key; the
/// problem part tells a stale entry (another checkpoint, another problem) from one of other
/// prompts.
/// </summary>
public static class EvaluationKey
{
    const string Separator = "; ";

    /// <summary>The full key: the problem part, then the prompts (how many, batch size, seed).</summary>
    public static string Of(EvaluationProblem problem, EvaluationSettings settings, string? checkpointFingerprint) =>
        ProblemPart(problem, checkpointFingerprint) + Separator + $"{settings.NumExamples} prompts in batches of {settings.BatchSize}, seed {settings.Seed}";

    /// <summary>The problem part of a key: the problem and the checkpoint's fingerprint (or "no model").</summary>
    public static string ProblemPart(EvaluationProblem problem, string? checkpointFingerprint) =>
        problem.Describe() + (checkpointFingerprint is { } f ? $", checkpoint {f}" : ", no model");

    /// <summary>The problem part of a key as written, null for an entry without one (an older or the paper's file).</summary>
    public static string? ProblemPartOf(string? key) => key is null ? null : key.Split(Separator)[0];
}
