using System.CommandLine;
using InContext.Evaluation;
using InContext.Probing;

namespace InContext.Cli;

/// <summary>
/// The distribution-shift options of <c>probe</c> and <c>identify</c>: another task, a prompting
/// strategy, and the shifts that take a value or one range START:END:COUNT (a sweep).
/// </summary>
sealed class ShiftOptions
{
    public readonly Option<string?> Task = new("--task") { Description = "Another function class than the run's (e.g. quadratic_regression for a linear model)." };
    public readonly Option<string?> Strategy = new("--strategy") { Description = $"Prompting strategy: {string.Join(", ", PromptingStrategy.All.Select(s => s.Name))}." };

    // The shifts: a value, or one of them a range START:END:COUNT (a sweep; scales and skew spaced geometrically).
    readonly (string Parameter, Option<string?> Option)[] _swept =
    [
        ("points", new("--points") { Description = "Points per prompt (default: those the run trained on, its curriculum's at its last step; at most n_positions)." }),
        ("n_dims", new("--n-dims") { Description = "Active input dims, the rest zero-padded (default: those the run trained on, its curriculum's at its last step; at most n_dims)." }),
        ("scale_x", new("--scale-x") { Description = "Scale inputs by C (through a random rotation, as eval's scale-x=C)." }),
        ("scale_y", new("--scale-y") { Description = "The task's output scale C (as eval's scale-y=C)." }),
        ("noise", new("--noise") { Description = "Add N(0, S²) noise to every output (examples and targets)." }),
        ("bias", new("--bias") { Description = "Add B to every active input coordinate." }),
        ("skew", new("--skew") { Description = "Skew the input covariance to condition number K (eigenvalues 1 down to 1/K)." }),
        ("off_span", new("--off-span") { Description = "Move each query off the span of the earlier examples: 0 in it, 1 orthogonal to it." }),
    ];

    /// <summary>Adds the shifts that take a value or a range to <paramref name="command"/> (the task and strategy are added where the command lists them).</summary>
    public void AddSwept(Command command)
    {
        foreach (var (_, option) in _swept) command.Options.Add(option);
    }

    /// <summary>The shifts given: every fixed one applied, and the one range (null when none); a second range is refused.</summary>
    public (ProbeOptions Shift, ShiftSweep? Range) Parse(ParseResult p, string verb)
    {
        var sweeps = _swept.Where(s => p.GetValue(s.Option) is not null).Select(s => ShiftSweep.Parse(s.Parameter, p.GetValue(s.Option)!)).ToList();
        var ranges = sweeps.Where(s => s.IsRange).ToList();
        if (ranges.Count > 1) throw new ParameterException(ranges[1].Parameter, $"is a range too; {verb} sweeps one shift at a time");
        var shift = sweeps.Where(s => !s.IsRange).Aggregate(new ProbeOptions(p.GetValue(Task), Strategy: p.GetValue(Strategy)), (o, s) => s.Apply(o, s.Values[0]));
        return (shift, ranges.SingleOrDefault());
    }
}
