using System.Globalization;
using InContext.Training;
using InContext.Storage;

namespace InContext.Cli;

/// <summary>How the command line names a pack of runs: several run folders, a pack's folder, or <c>--seeds 0,1,2</c>.</summary>
static class Packs
{
    /// <summary>
    /// The runs to resume as one pack: several run folders given, or one folder of a pack's runs
    /// (<c>seed=S/</c>); null when <paramref name="paths"/> name one run, one config file or nothing.
    /// </summary>
    public static IReadOnlyList<RunFolder>? Resumed(IReadOnlyList<string> paths)
    {
        if (paths.Count == 1) return Directory.Exists(paths[0]) ? SeedPacks.MembersOf(paths[0]) : null;
        if (paths.Count == 0) return null;
        return paths.Select(p =>
        {
            var run = new RunFolder(p);
            return Directory.Exists(p) && run.HasConfig ? run
                : throw new InputException($"{p}: not a run folder (several paths train as one pack: each must be a run folder with a config.yaml)");
        }).ToList();
    }

    /// <summary>How tables and figures name runs: one run by its folder; a pack's runs by their pack's folder and their count.</summary>
    public static string Name(IReadOnlyList<RunFolder> runs) =>
        runs.Count == 1 ? runs[0].Name : $"{Path.GetFileName(Path.GetDirectoryName(runs[0].Path))} ({runs.Count} runs)";

    /// <summary><c>--seeds</c>: whole numbers separated by commas, e.g. <c>0,1,2</c>; null when not given.</summary>
    public static IReadOnlyList<long>? ParseSeeds(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var seeds = new List<long>();
        foreach (var part in parts)
            seeds.Add(long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s <= int.MaxValue
                ? s : throw new ParameterException("seeds", $"{Printable.Escape(text)}: expected seeds from 0 to {int.MaxValue} separated by commas, e.g. 0,1,2"));
        return seeds;
    }
}
