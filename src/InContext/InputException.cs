namespace InContext;

/// <summary>
/// Bad input, or a refusal the user must act on (a busy run folder, a full disk): the message is
/// one line that names the file, key, row or parameter and what was expected. The CLI prints it
/// and exits with code 2; nothing that was already written has been changed.
/// </summary>
public class InputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A parameter of a library call out of its range, named in the library's terms (<c>points</c>,
/// <c>scale_x</c>, <c>models</c>): the message reads <c>points 200: the model reads 1 to 101</c>.
/// A front end that calls the parameter something else (the CLI's <c>--points</c>) shows
/// <see cref="Parameter"/> under its own name, followed by <see cref="Detail"/>.
/// </summary>
public sealed class ParameterException(string parameter, string detail)
    : InputException($"{parameter}{(detail.StartsWith(':') ? "" : " ")}{detail}")
{
    /// <summary>The parameter's name in the library's terms.</summary>
    public string Parameter { get; } = parameter;

    /// <summary>The message after the parameter's name (the value and the problem).</summary>
    public string Detail { get; } = detail;
}
