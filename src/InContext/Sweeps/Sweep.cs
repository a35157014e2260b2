using System.Text.RegularExpressions;
using InContext.Config;
using InContext.Yaml;
using KeySource = InContext.Yaml.YamlTree.KeySource;
using Scalar = InContext.Yaml.YamlTree.Scalar;

namespace InContext.Sweeps;

/// <summary>
/// A sweep file that cannot be used, with every problem found: one line each (a bad key of the
/// grid, or a combination whose config is refused). Nothing has been written.
/// </summary>
public sealed class SweepException(IReadOnlyList<string> problems) : InputException(string.Join("\n", problems))
{
    /// <summary>Every problem found, one line each.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>One value of a grid axis: how the run id shows it, and what it sets (a value, or a config fragment file).</summary>
public sealed record GridValue(string Label, object? Value, IReadOnlyList<string> Files);

/// <summary>One key path of the grid and its values; <see cref="Label"/> names it in run ids.</summary>
public sealed record GridAxis(string Key, string Label, IReadOnlyList<GridValue> Values)
{
    /// <summary>The axis that picks whole config files, as a config's own <c>inherit:</c> does.</summary>
    public bool IsInherit => Key == Sweep.InheritKey;
}

/// <summary>One combination of the grid: its place in the sweep (the Slurm array index), its run id, its resolved config.</summary>
public sealed record SweepRun(int Index, string Id, RunConfig Config, IReadOnlyList<KeyValuePair<string, string>> Settings);

/// <summary>The sweep file's optional <c>slurm:</c> section: defaults for <c>icl sweep --slurm</c>.</summary>
public sealed record SlurmDefaults(
    string? Partition = null, string? Time = null, int? GpusPerTask = null, int? CpusPerTask = null,
    int? MaxParallel = null, string? Device = null, IReadOnlyList<string>? Setup = null);

/// <summary>
/// A sweep: a base config (the file's <c>inherit:</c> and keys, as a config has them) and a
/// <c>grid:</c> of key paths to lists of values, expanded to one run per combination under the
/// sweep's folder <c>&lt;out_dir&gt;/&lt;name&gt;/&lt;run id&gt;/</c>. A value ending in <c>.yaml</c>
/// is a config fragment merged in (e.g. <c>model: [../models/tiny.yaml]</c>); the axis
/// <c>inherit</c> picks whole configs beneath the sweep's own keys. Every combination is
/// validated when the sweep is loaded: a bad sweep is refused with all its problems at once.
/// </summary>
public sealed partial class Sweep
{
    /// <summary>The grid axis that picks whole config files.</summary>
    public const string InheritKey = "inherit";
    /// <summary>Keys of a sweep file that are the sweep's, not its runs' config.</summary>
    public static readonly string[] SweepKeys = ["name", "out_dir", "grid", "slurm"];
    /// <summary>At most this many runs in one sweep.</summary>
    public const int MaxRuns = 10_000;
    /// <summary>Run ids longer than this end in a hash of the full id instead.</summary>
    public const int MaxIdLength = 120;

    /// <summary>The sweep file, absolute.</summary>
    public required string File { get; init; }
    /// <summary>The sweep file's text as it was read (its folder keeps a copy).</summary>
    public required string Text { get; init; }
    /// <summary>The sweep's name (the file's <c>name:</c>, else its file name): its folder under <c>out_dir</c>.</summary>
    public required string Name { get; init; }
    /// <summary>The sweep's folder (absolute): one run folder per combination.</summary>
    public required string Folder { get; init; }
    /// <summary>The grid's axes, in the file's order.</summary>
    public required IReadOnlyList<GridAxis> Grid { get; init; }
    /// <summary>One run per combination of the grid, in the order of the Slurm array.</summary>
    public required IReadOnlyList<SweepRun> Runs { get; init; }
    /// <summary>The <c>slurm:</c> section's defaults.</summary>
    public required SlurmDefaults Slurm { get; init; }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    private static partial Regex KeyPath();

    [GeneratedRegex(@"[^A-Za-z0-9._=,+-]+")]
    private static partial Regex Unsafe();

    /// <summary>
    /// Reads and expands the sweep file. The folder is <paramref name="outDir"/>/name when given,
    /// else the file's <c>out_dir</c> (relative to the file)/name, else <c>runs/</c>name in the
    /// current folder. Throws <see cref="SweepException"/> listing every problem.
    /// </summary>
    public static Sweep Load(string path, string? outDir = null)
    {
        var file = System.IO.Path.GetFullPath(path);
        var merged = YamlTree.LoadWithInherit(file, out var mergedSources);   // a missing or unreadable file: one ConfigException
        var text = YamlTree.ReadText(file);
        var own = YamlTree.Parse(file, text);
        own.Remove(InheritKey);
        var ownConfig = Without(own, SweepKeys);
        var ownSources = KeySource.Of(ownConfig, file);
        var problems = new List<string>();
        string Line(string keyPath, string problem) => $"{file}: {(keyPath.Length > 0 ? keyPath + ": " : "")}{problem}";

        var top = new Section(file, "", merged, mergedSources);
        var name = Guard(problems, () => top.StringOrNull("name")) ?? System.IO.Path.GetFileNameWithoutExtension(file);
        if (name.Length == 0 || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
            problems.Add(top.Error("name", $"'{Section.Shown(name)}': expected a plain folder name").Message);
        var ownOut = Guard(problems, () => new Section(file, "", own).StringOrNull("out_dir"));
        var parent = outDir != null ? System.IO.Path.GetFullPath(outDir)
            : ownOut != null ? System.IO.Path.GetFullPath(ownOut, System.IO.Path.GetDirectoryName(file)!)
            : System.IO.Path.Combine(Directory.GetCurrentDirectory(), "runs");
        var folder = System.IO.Path.Combine(parent, name);
        var slurm = Guard(problems, () => ReadSlurm(top, merged)) ?? new SlurmDefaults();

        // A bad axis is left out, so the combinations of the others are still checked: every problem at once.
        var grid = ReadGrid(file, merged, problems, Line);
        if (grid.Count == 0) throw new SweepException(problems);

        var count = grid.Aggregate(1L, (n, a) => n * a.Values.Count);
        if (count > MaxRuns)
        {
            problems.Add(Line("grid", $"{count} combinations; a sweep holds at most {MaxRuns}"));
            throw new SweepException(problems);
        }

        var baseTree = Without(merged, SweepKeys);
        var before = problems.Count;
        var fragments = LoadFragments(grid, problems);
        if (problems.Count > before) throw new SweepException(problems);

        var varying = Enumerable.Range(0, grid.Count).Where(i => grid[i].Values.Count > 1).ToList();
        var idAxes = varying.Count > 0 ? varying : Enumerable.Range(0, grid.Count).ToList();
        var namesRun = grid.Any(a => a.Key == "wandb.name") || own.TryGetValue("wandb", out var w) && w is Dictionary<string, object?> wd && wd.ContainsKey("name");

        var runs = new List<SweepRun>();
        var failures = new List<(string Id, string Message, string Problem, GridValue[] Values)>();
        var ids = new Dictionary<string, string>();
        foreach (var combination in Combinations(grid))
        {
            var id = RunId(idAxes.Select(i => (grid[i].Label, combination[i].Label)));
            var description = string.Join(", ", grid.Select((a, i) => $"{a.Key}={combination[i].Label}"));
            if (ids.TryGetValue(id, out var other))
            {
                problems.Add(Line("grid", $"{other} and {description} give the same run id '{id}'; make the values differ in letters or digits"));
                continue;
            }
            ids[id] = description;
            // The run's tree, and which file wrote each of its keys, so that its errors name that file.
            var tree = new Dictionary<string, object?>();
            var sources = new Dictionary<string, KeySource>();
            YamlTree.Merge(tree, baseTree, sources, mergedSources);
            for (var i = 0; i < grid.Count; i++)
            {
                if (!grid[i].IsInherit) continue;
                foreach (var f in combination[i].Files) YamlTree.Merge(tree, fragments[f].Tree, sources, fragments[f].Sources);
                YamlTree.Merge(tree, ownConfig, sources, ownSources);   // the sweep's own keys win over the configs it picks
            }
            for (var i = 0; i < grid.Count; i++)
            {
                if (grid[i].IsInherit) continue;
                if (combination[i].Files.Count > 0) foreach (var f in combination[i].Files) YamlTree.Merge(tree, fragments[f].Tree, sources, fragments[f].Sources);
                else if (!Set(tree, sources, grid[i].Key, combination[i].Value, out var blocked))
                    problems.Add(Line($"grid.{grid[i].Key}", $"{blocked} is not a mapping in the base config, so it has no key {grid[i].Key[(blocked.Length + 1)..]}"));
            }
            // Each run lives in its own folder of the sweep's; the folder's name is the run id.
            tree["out_dir"] = "..";
            sources.Remove("out_dir");
            if (!namesRun) Set(tree, sources, "wandb.name", id, out _);
            var settings = grid.Select((a, i) => new KeyValuePair<string, string>(a.Key, combination[i].Label)).ToList();
            try
            {
                var config = RunConfig.FromTree(file, tree, sources) with { BaseDirectory = System.IO.Path.Combine(folder, id) };
                if (config.TestRun) failures.Add((id, Line("test_run", "true: a sweep trains real runs (icl train --test-run tries a config)"), "test_run", combination));
                else runs.Add(new SweepRun(runs.Count, id, config, settings));
            }
            // The problem without the sweep file's name, as the line names it; a key of another file keeps that file's.
            catch (ConfigException e) { failures.Add((id, e.Message, e.File == file ? e.Message[Math.Min(e.Message.Length, file.Length + 2)..] : e.Message, combination)); }
            catch (InputException e) { failures.Add((id, e.Message, e.Message, combination)); }
        }
        // A problem every combination shares is one line, and so is one of exactly the runs with
        // one grid value; any other names each run it has.
        foreach (var group in failures.GroupBy(f => f.Message))
        {
            if (group.Count() == count) { problems.Add(group.Key); continue; }
            var value = Enumerable.Range(0, grid.Count).SelectMany(i => grid[i].Values.Select(v => (Axis: i, Value: v)))
                .FirstOrDefault(x => group.Count() == count / grid[x.Axis].Values.Count && group.All(f => f.Values[x.Axis] == x.Value));
            if (value.Value is not null)
                problems.Add($"{file}: grid.{grid[value.Axis].Key} = {value.Value.Label} (every run with it): {group.First().Problem}");
            else problems.AddRange(group.Select(f => $"{file}: run {f.Id}: {f.Problem}"));
        }
        if (problems.Count > 0) throw new SweepException(problems.Distinct().ToList());
        return new Sweep { File = file, Text = text, Name = name, Folder = folder, Grid = grid, Runs = runs, Slurm = slurm };
    }

    static T? Guard<T>(List<string> problems, Func<T?> read)
    {
        try { return read(); }
        catch (InputException e) { problems.Add(e.Message); return default; }
    }

    static Dictionary<string, object?> Without(Dictionary<string, object?> tree, IEnumerable<string> keys)
    {
        var copy = new Dictionary<string, object?>();
        YamlTree.Merge(copy, tree);
        foreach (var k in keys) copy.Remove(k);
        return copy;
    }

    static SlurmDefaults ReadSlurm(Section top, Dictionary<string, object?> merged)
    {
        var s = top.Sub("slurm", required: false).Expect("partition", "time", "gpus_per_task", "cpus_per_task", "max_parallel", "device", "setup");
        IReadOnlyList<string>? setup = null;
        if (merged.TryGetValue("slurm", out var section) && section is Dictionary<string, object?> d && d.TryGetValue("setup", out var raw) && raw is not null)
            setup = raw switch
            {
                List<object?> l when l.All(x => x is Scalar) => l.Cast<Scalar>().Select(x => x.Text).ToList(),
                Scalar one => [one.Text],
                _ => throw s.Error("setup", "expected a list of shell lines"),
            };
        return new SlurmDefaults(s.StringOrNull("partition"), s.StringOrNull("time"), s.IntOrNull("gpus_per_task"), s.IntOrNull("cpus_per_task"),
            s.IntOrNull("max_parallel"), s.StringOrNull("device"), setup);
    }

    /// <summary>The grid's axes, or problems: a key path that is no key of a config, a list that is empty or not a list, a value given twice.</summary>
    static List<GridAxis> ReadGrid(string file, Dictionary<string, object?> merged, List<string> problems, Func<string, string, string> line)
    {
        var axes = new List<GridAxis>();
        if (!merged.TryGetValue("grid", out var g) || g is null)
        {
            problems.Add(line("grid", "required: key paths and the values each takes, e.g. grid: {training.seed: [0, 1, 2]}"));
            return axes;
        }
        if (g is not Dictionary<string, object?> grid || grid.Count == 0)
        {
            problems.Add(line("grid", "expected a mapping of key paths to lists of values, e.g. training.seed: [0, 1, 2]"));
            return axes;
        }
        var schema = Schema();
        var directory = System.IO.Path.GetDirectoryName(file)!;
        foreach (var (key, raw) in grid)
        {
            var at = $"grid.{Section.Shown(key)}";
            if (key != InheritKey && KeyCheck(key, schema) is { } bad) { problems.Add(line(at, bad)); continue; }
            if (raw is not List<object?> list || list.Count == 0)
            {
                problems.Add(line(at, $"expected a list of values, found {(raw is List<object?> ? "an empty list" : raw is Dictionary<string, object?> ? "a mapping" : raw is null ? "nothing" : $"'{Section.Shown(((Scalar)raw).Text)}'")}"));
                continue;
            }
            var values = new List<GridValue>();
            var seen = new Dictionary<string, string>();
            for (var i = 0; i < list.Count; i++)
            {
                var item = list[i];
                GridValue value;
                if (key == InheritKey)
                {
                    var names = item switch
                    {
                        Scalar s => [s.Text],
                        List<object?> l when l.All(x => x is Scalar) => l.Cast<Scalar>().Select(x => x.Text).ToList(),
                        _ => null,
                    };
                    if (names is null) { problems.Add(line($"{at}[{i}]", "expected a config file (or a list of them)")); continue; }
                    value = new GridValue(string.Join("+", names.Select(System.IO.Path.GetFileNameWithoutExtension)), null,
                        names.Select(n => System.IO.Path.GetFullPath(n, directory)).ToList());
                }
                else if (item is Scalar s && IsFile(s.Text))
                    value = new GridValue(System.IO.Path.GetFileNameWithoutExtension(s.Text), null, [System.IO.Path.GetFullPath(s.Text, directory)]);
                else
                    value = new GridValue(Label(item), item, []);
                var text = Canonical(item);
                if (seen.TryGetValue(value.Label, out var before))
                {
                    problems.Add(line($"{at}[{i}]", before == text
                        ? $"'{Section.Shown(text)}' given twice"
                        : $"'{Section.Shown(text)}' and '{Section.Shown(before)}' both read '{value.Label}' in a run id; give values that differ in letters or digits"));
                    continue;
                }
                seen[value.Label] = text;
                values.Add(value);
            }
            axes.Add(new GridAxis(key, key == InheritKey ? "config" : key.Split('.')[^1], values));
        }
        // Axes whose last segment is the same (model.n_dims, training.curriculum.dims...) are named in full.
        return axes.Select(a => axes.Count(b => b.Label == a.Label) > 1 ? a with { Label = a.Key } : a).ToList();
    }

    static bool IsFile(string text) => text.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || text.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every config file the grid names, read once (with its own inherit); a fragment must set keys under its axis only.</summary>
    static Dictionary<string, (Dictionary<string, object?> Tree, Dictionary<string, KeySource> Sources)> LoadFragments(List<GridAxis> grid, List<string> problems)
    {
        var loaded = new Dictionary<string, (Dictionary<string, object?> Tree, Dictionary<string, KeySource> Sources)>();
        foreach (var axis in grid)
            foreach (var value in axis.Values)
                foreach (var f in value.Files)
                {
                    if (loaded.ContainsKey(f)) continue;
                    try { loaded[f] = (YamlTree.LoadWithInherit(f, out var sources), sources); }
                    catch (InputException e) { problems.Add($"{e.Message} (named in grid.{axis.Key})"); continue; }
                    if (axis.IsInherit) continue;
                    foreach (var leaf in Leaves(loaded[f].Tree, ""))
                        if (leaf != axis.Key && !leaf.StartsWith(axis.Key + ".", StringComparison.Ordinal))
                            problems.Add($"{f}: {leaf}: outside {axis.Key}; a file given in grid.{axis.Key} may set only keys under {axis.Key}");
                }
        return loaded;
    }

    static IEnumerable<string> Leaves(Dictionary<string, object?> tree, string prefix)
    {
        foreach (var (k, v) in tree)
        {
            var path = prefix.Length == 0 ? k : $"{prefix}.{k}";
            if (v is Dictionary<string, object?> d && d.Count > 0) foreach (var l in Leaves(d, path)) yield return l;
            else yield return path;
        }
    }

    /// <summary>The key paths a config has (from a full config's tree); <c>training.task_kwargs</c> takes what its task takes.</summary>
    static Dictionary<string, object?> Schema() => RunConfig.Quickstart().ToTree();

    static string? KeyCheck(string key, Dictionary<string, object?> schema)
    {
        if (!KeyPath().IsMatch(key)) return "expected a key path of plain names joined by dots, e.g. training.seed";
        var parts = key.Split('.');
        if (parts[0] is "name" or "grid" or "slurm" || key == "out_dir")
            return "belongs to the sweep, not to its runs (each run's folder is the sweep's folder and its run id)";
        if (key == "test_run") return "a sweep trains real runs";
        object? node = schema;
        for (var i = 0; i < parts.Length; i++)
        {
            if (node is not Dictionary<string, object?> map)
                return $"{string.Join('.', parts[..i])} is a value, not a section";
            if (string.Join('.', parts[..i]) == "training.task_kwargs") return null;   // the task checks its own kwargs
            if (!map.TryGetValue(parts[i], out node))
            {
                var where = i == 0 ? "a config" : string.Join('.', parts[..i]);
                var near = Spelling.Nearest(parts[i], map.Keys);
                return $"unknown key ({where} has: {string.Join(", ", map.Keys)}){(near is null ? "" : $"; did you mean {string.Join('.', parts[..i].Append(near))}?")}";
            }
        }
        return null;
    }

    /// <summary>Every combination, the last axis varying fastest.</summary>
    static IEnumerable<GridValue[]> Combinations(List<GridAxis> grid)
    {
        var index = new int[grid.Count];
        while (true)
        {
            yield return grid.Select((a, i) => a.Values[index[i]]).ToArray();
            var k = grid.Count - 1;
            while (k >= 0 && ++index[k] == grid[k].Values.Count) index[k--] = 0;
            if (k < 0) yield break;
        }
    }

    /// <summary>
    /// Sets <paramref name="value"/> at the key path, making sections on the way, and forgets which file wrote the key
    /// (the sweep sets it: errors name the sweep file); false (and the section in the way) when a value blocks it.
    /// </summary>
    static bool Set(Dictionary<string, object?> tree, Dictionary<string, KeySource> sources, string keyPath, object? value, out string blocked)
    {
        var parts = keyPath.Split('.');
        var node = tree;
        Dictionary<string, KeySource>? nodeSources = sources;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (!node.TryGetValue(parts[i], out var next) || next is null) node[parts[i]] = next = new Dictionary<string, object?>();
            if (next is not Dictionary<string, object?> d) { blocked = string.Join('.', parts[..(i + 1)]); return false; }
            node = d;
            nodeSources = nodeSources?.GetValueOrDefault(parts[i])?.Keys;
        }
        nodeSources?.Remove(parts[^1]);
        if (value is Dictionary<string, object?> map)
        {
            var copy = new Dictionary<string, object?>();
            YamlTree.Merge(copy, map);
            value = copy;
        }
        node[parts[^1]] = value;
        blocked = "";
        return true;
    }

    /// <summary>A value as a run id shows it: scalars as written, lists joined by +, mappings as key-value pairs.</summary>
    static string Label(object? value) => value switch
    {
        null => "null",
        Scalar s => s.Text,
        List<object?> l => string.Join("+", l.Select(Label)),
        Dictionary<string, object?> d => d.Count == 0 ? "none" : string.Join("+", d.Select(kv => $"{kv.Key}-{Label(kv.Value)}")),
        _ => value.ToString() ?? "",
    };

    static string Canonical(object? value) => value switch
    {
        null => "null",
        Scalar s => s.Text,
        List<object?> l => "[" + string.Join(", ", l.Select(Canonical)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => $"{kv.Key}: {Canonical(kv.Value)}")) + "}",
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// The run id of a combination: <c>label=value</c> per varying axis, joined by commas, with
    /// anything but letters, digits and <c>. _ = , + -</c> made <c>_</c>; a long id keeps its
    /// start and ends in a hash of the whole, so it stays unique and the same on every machine.
    /// </summary>
    public static string RunId(IEnumerable<(string Label, string Value)> settings)
    {
        var full = string.Join(",", settings.Select(s => $"{s.Label}={s.Value}"));
        var id = Unsafe().Replace(full, "_");
        if (id.StartsWith('.')) id = "_" + id[1..];
        if (id.Length <= MaxIdLength) return id;
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..10];
        return id[..(MaxIdLength - 11)] + "-" + hash;
    }
}
