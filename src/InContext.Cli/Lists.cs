namespace InContext.Cli;

static class Lists
{
    /// <summary>List options accept both <c>--models a b</c> and <c>--models a,b</c>; null when none are given.</summary>
    public static IReadOnlyList<string>? Split(string[]? values) =>
        values is null || values.Length == 0 ? null : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
