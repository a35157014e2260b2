namespace InContext.Cli;

static class Lists
{
    /// <summary>List options accept both <c>--models a b</c> and <c>--models a,b</c>; null when none are given.</summary>
    public static IReadOnlyList<string>? Split(string[]? values) =>
        values is null || values.Length == 0 ? null : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    /// <summary><c>--relative-to-zero</c>: errors divided by predicting 0's on the same prompts.</summary>
    public static System.CommandLine.Option<bool> RelativeToZeroOption() =>
        new("--relative-to-zero") { Description = "Show each error divided by that of predicting 0 on the same prompts, position by position (the paper divides by d; under a shift that scales the outputs, predicting 0 no longer scores 1 that way)." };

    /// <summary><c>--k</c>: which numbers of in-context examples tables show.</summary>
    public static System.CommandLine.Option<string?> ExamplesOption() =>
        new("--k") { Description = "Numbers of in-context examples the tables show: 'all' (from 0), or a list such as 0,1,5 (default: 1, d/2, d, 2d and the last)." };

    public static InContext.Reports.ExampleColumns? Examples(string? value) => value is null ? null : InContext.Reports.ExampleColumns.Parse(value);
}
