namespace InContext.Reports;

/// <summary>
/// A run folder that cannot be reported on (no metrics.json, a malformed train_log.csv...).
/// The message is one line that names the file and says what to do, fit for the console.
/// </summary>
public sealed class ReportInputException : InputException
{
    /// <summary>A report refusal with the one-line <paramref name="message"/>, and the <paramref name="inner"/> error behind it if any.</summary>
    public ReportInputException(string message, Exception? inner = null) : base(message, inner) { }
}
