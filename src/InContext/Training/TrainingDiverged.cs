namespace InContext.Training;

/// <summary>
/// Training met a loss (or weights) that is not finite and stopped before writing anything over
/// the last good checkpoint. The message is one line: the step, the loss, the last good
/// checkpoint and what to change. The CLI exits with code 3; rerunning the same command resumes
/// from that checkpoint.
/// </summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
