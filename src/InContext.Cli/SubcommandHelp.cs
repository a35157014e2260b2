using System.CommandLine;

namespace InContext.Cli;

/// <summary>
/// Help for a subcommand without its parents' arguments. System.CommandLine writes every
/// ancestor's arguments into a subcommand's usage (<c>icl sweep &lt;sweep-file&gt; status &lt;sweep-dir&gt;</c>),
/// but <c>icl sweep status DIR</c> takes no sweep file; the parent's own help still lists them.
/// </summary>
static class SubcommandHelp
{
    /// <summary>When <paramref name="parse"/> asks for help, hides the arguments of the helped command's parents (it is parsed already; only help reads them now).</summary>
    public static void HideParentArguments(ParseResult parse)
    {
        if (parse.Action is not System.CommandLine.Help.HelpAction) return;
        for (var c = Parent(parse.CommandResult.Command); c != null; c = Parent(c))
            foreach (var a in c.Arguments) a.Hidden = true;
    }

    static Command? Parent(Command command) => command.Parents.OfType<Command>().FirstOrDefault();
}
