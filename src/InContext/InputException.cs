namespace InContext;

/// <summary>
/// Bad input from a user — a config, a file, a name: the message is one line that names the
/// file, key or row and what was expected. The CLI prints it and exits with code 2.
/// </summary>
public class InputException(string message, Exception? inner = null) : Exception(message, inner);
