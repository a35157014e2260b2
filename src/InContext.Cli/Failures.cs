using System.CommandLine;
using System.Text.RegularExpressions;
using InContext;
using InContext.Training;

namespace InContext.Cli;

/// <summary>What <c>icl</c>'s exit codes mean (the README lists them).</summary>
static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A failure of icl itself (a bug): its one line, and with --verbose the stack trace.</summary>
    public const int Internal = 1;
    /// <summary>Bad input or a refusal the user must act on: a config, a file, an option, a busy run folder, a full disk.</summary>
    public const int BadInput = 2;
    /// <summary>Training met a loss that is not finite; the last good checkpoint is intact.</summary>
    public const int Diverged = 3;
    /// <summary>A sweep ran, and some of its runs are not done: failed, stopped on their own, or held by another process (<c>icl sweep status</c> shows each one).</summary>
    public const int SweepIncomplete = 4;
    /// <summary>Stopped by Ctrl+C (SIGINT) after saving, as the shell reports a process stopped by it.</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM (a scheduler's preemption or time limit) after saving.</summary>
    public const int Terminated = 143;
}

/// <summary>
/// Every failure a user sees is one line on stderr and an exit code; the stack trace only with
/// <c>--verbose</c> or <c>ICL_VERBOSE=1</c>. The library names its parameters in its own terms
/// (<c>scale_x</c>); here they become the options that set them (<c>--scale-x</c>).
/// </summary>
static partial class Failures
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "On failure, print the stack trace too (or set ICL_VERBOSE=1).", Recursive = true };

    public static int Report(Exception e, bool verbose)
    {
        verbose |= Environment.GetEnvironmentVariable("ICL_VERBOSE") is "1" or "true";
        var (code, message) = e switch
        {
            ParameterException p => (ExitCodes.BadInput, $"{Option(p.Parameter)}{(p.Detail.StartsWith(':') ? "" : " ")}{p.Detail}"),
            // A sweep's problems, all of them: one "error:" line each.
            Sweeps.SweepException s => (ExitCodes.BadInput, string.Join("\nerror: ", s.Problems.Select(l => OneLine(l)))),
            InputException => (ExitCodes.BadInput, e.Message),
            TrainingDivergedException => (ExitCodes.Diverged, e.Message),
            IOException or UnauthorizedAccessException => (ExitCodes.BadInput, OneLine(e.Message)),
            OutOfMemoryException or InsufficientExecutionStackException => (ExitCodes.BadInput, $"out of memory ({OneLine(e.Message)})"),
            _ when e.Message.Contains("DefaultCPUAllocator: not enough memory", StringComparison.Ordinal) || e.Message.Contains("CUDA out of memory", StringComparison.Ordinal)
                => (ExitCodes.BadInput, $"out of memory: {OneLine(e.Message)}"),
            _ => (ExitCodes.Internal, $"internal error ({e.GetType().Name}): {OneLine(e.Message)}{(verbose ? "" : " (--verbose shows where)")}"),
        };
        Console.Error.WriteLine($"error: {message}");
        if (verbose) Console.Error.WriteLine(e);
        return code;
    }

    /// <summary>A library parameter as the CLI's option: <c>scale_x</c> → <c>--scale-x</c>.</summary>
    public static string Option(string parameter) => "--" + parameter.Replace('_', '-');

    /// <summary>
    /// The parser reads an unknown <c>--option</c> where a path argument may stand (<c>icl train --bogus</c>
    /// would look for a config named --bogus): the first argument word that starts with <c>--</c>, as
    /// one line naming the command, or null when there is none.
    /// </summary>
    public static string? StrayOption(ParseResult parse)
    {
        var stray = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.ArgumentResult>()
            .SelectMany(a => a.Tokens).FirstOrDefault(t => t.Value.StartsWith("--", StringComparison.Ordinal));
        if (stray is null) return null;
        var command = string.Join(' ', CommandPath(parse.CommandResult));
        return $"{Printable.Escape(stray.Value)}: not an option of {command} ({command} --help lists them)";
    }

    static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new List<string>();
        for (var r = result; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Parent is null ? "icl" : r.Command.Name);
        return names;
    }

    static string OneLine(string message) => Printable.Escape(message.Split('\n')[0].Trim(), 300);

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Argument '(?<value>.*)' not recognized\. Must be one of:(?<choices>.*)$", RegexOptions.Singleline)]
    private static partial Regex NotAmong();

    /// <summary>
    /// A parse error as one line in the user's words: System.CommandLine's "as expected type
    /// 'System.Nullable`1[System.Int32]'", and its list of accepted values one per line, name the
    /// option and what it takes instead.
    /// </summary>
    public static string ParseError(System.CommandLine.Parsing.ParseError error)
    {
        var message = error.Message;
        if (NotAmong().Match(message) is { Success: true } among)
        {
            var choices = among.Groups["choices"].Value.Split((char[])['\n', '\t', ' '], StringSplitOptions.RemoveEmptyEntries).Select(c => c.Trim('\'')).ToList();
            var option = error.SymbolResult switch
            {
                System.CommandLine.Parsing.OptionResult o => o.Option.Name,
                System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option.Name,
                _ => null,
            };
            var accepted = choices.Count > 1 ? $"{string.Join(", ", choices.SkipLast(1))} or {choices[^1]}" : string.Join("", choices);
            return $"{(option is null ? "" : option + " ")}{Printable.Escape(among.Groups["value"].Value)}: expected {accepted}";
        }
        var m = CannotParse().Match(message);
        if (!m.Success) return Printable.Escape(message, 300);
        var type = m.Groups["type"].Value;
        var expected = type.Contains("Int32") ? $"a whole number from {int.MinValue} to {int.MaxValue}"
            : type.Contains("Int64") ? "a whole number"
            : type.Contains("Double") ? "a number"
            : type.Contains("Boolean") ? "true or false" : "another value";
        return $"{m.Groups["option"].Value} {Printable.Escape(m.Groups["value"].Value)}: expected {expected}";
    }
}
