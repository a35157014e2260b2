using System.CommandLine;
using InContext;
using InContext.Cli;
using InContext.Native;

// The whole surface of the `icl` tool. Each command parses its arguments and calls the
// library; printing lives in Console*.cs beside this file, failures in Failures.cs.
NativeRuntime.BoundThreadSpinning();
NativeRuntime.KeepFreedMemory();
// Piped or logged output has no terminal width: tables are printed whole there, however wide
// (at Spectre's default 80 columns every number of a 21-point table was split over two lines).
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 4096;
var root = new RootCommand("InContext: train transformers to learn function classes in context (Garg et al. 2022), and measure them against classical learners.");
root.Options.Add(Failures.Verbose);
root.Options.Add(Threads.Option);
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PlotCommands.Plot());
root.Subcommands.Add(PlotCommands.Report());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ProbeCommand.Create());
root.Subcommands.Add(LimitsCommand.Create());
root.Subcommands.Add(IdentifyCommand.Create());
root.Subcommands.Add(ProbeLayersCommand.Create());
root.Subcommands.Add(ReproduceCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(SweepCommand.Create());

var parse = root.Parse(args);
try
{
    // ICL_LIBTORCH: run on a libtorch of the user's (an installed PyTorch's), before the first tensor.
    LibTorchLocation.UseFromEnvironment();
}
catch (Exception e)
{
    return Failures.Report(e, parse.GetValue(Failures.Verbose));
}
if (parse.Errors.Count > 0)
{
    // One line: the most telling error (an unrecognized word before "command not provided").
    var first = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
    Console.Error.WriteLine($"error: {Failures.ParseError(first)} (icl --help lists the commands and options)");
    return ExitCodes.BadInput;
}
if (Failures.StrayOption(parse) is { } stray)
{
    Console.Error.WriteLine($"error: {stray}");
    return ExitCodes.BadInput;
}
try
{
    Threads.Apply(parse.GetValue(Threads.Option));
    SubcommandHelp.HideParentArguments(parse);
    // The default handler would catch our exceptions itself (stack trace, exit code 1).
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    return Failures.Report(e, parse.GetValue(Failures.Verbose));
}
