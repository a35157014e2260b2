using System.CommandLine;
using InContext;
using InContext.Cli;

// The whole surface of the `icl` tool. Each command parses its arguments and calls the
// library; printing lives in Console*.cs beside this file.
NativeRuntime.BoundThreadSpinning();
NativeRuntime.KeepFreedMemory();
// Piped or logged output has no terminal width; tables of errors need more than 80 columns.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160;
var root = new RootCommand("InContext: train transformers to learn function classes in context (Garg et al. 2022), and measure them against classical learners.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PlotCommands.Plot());
root.Subcommands.Add(PlotCommands.Report());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ProbeCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ExportCommand.Create());

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var e in parse.Errors) Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
try
{
    // The default handler would catch our exceptions itself (stack trace, exit code 1).
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (InputException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
