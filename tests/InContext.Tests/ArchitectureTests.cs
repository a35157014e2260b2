using System.Text.RegularExpressions;
using Xunit;

namespace InContext.Tests;

/// <summary>The library's shape: layers that depend only downwards, and function-class facts in one place.</summary>
public partial class ArchitectureTests
{
    /// <summary>Bottom to top; a namespace may use only those before it (the core, <c>InContext</c>, is below all).</summary>
    static readonly string[] Layers = ["Native", "Storage", "Yaml", "Sampling", "Baselines", "Tasks", "Config", "Models", "Interop", "Training", "Evaluation", "Reports", "Probing", "Identification", "Findings", "Sweeps"];

    static IEnumerable<string> LibrarySources() =>
        Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "src", "InContext"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    [GeneratedRegex(@"^namespace InContext(?:\.(\w+))?;", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"\bInContext\.(\w+)\b")]
    private static partial Regex Reference();

    [Fact]
    public void Every_namespace_uses_only_the_layers_below_it()
    {
        var offences = new List<string>();
        foreach (var file in LibrarySources())
        {
            var text = File.ReadAllText(file);
            var own = Namespace().Match(text).Groups[1].Value;   // "" for the core
            var level = own.Length == 0 ? -1 : Array.IndexOf(Layers, own);
            Assert.True(own.Length == 0 || level >= 0, $"{file}: namespace InContext.{own} is in no layer; add it to Layers");
            foreach (Match m in Reference().Matches(text))
            {
                var used = Array.IndexOf(Layers, m.Groups[1].Value);
                if (used >= 0 && used >= level && m.Groups[1].Value != own)
                    offences.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}: InContext.{(own.Length == 0 ? "(core)" : own)} uses InContext.{m.Groups[1].Value}");
            }
        }
        Assert.True(offences.Count == 0, string.Join("\n", offences.Distinct()));
    }

    [Fact]
    public void Function_class_names_appear_only_in_their_own_files_and_the_registry()
    {
        // Two deliberate exceptions: benchmark workloads named after the paper's tasks, and the
        // list of tasks the paper's own schema accepts (an export checks configs against it).
        string[] allowed = ["EvaluationBenchmark.cs", "ReferenceExport.cs"];
        var offences = new List<string>();
        foreach (var file in LibrarySources().Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Tasks{Path.DirectorySeparatorChar}") && !allowed.Contains(Path.GetFileName(f))))
        {
            var text = File.ReadAllText(file);
            foreach (var name in TaskRegistry.Names)
                if (text.Contains($"\"{name}\""))
                    offences.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)} names \"{name}\"");
        }
        Assert.True(offences.Count == 0, "a fact about a function class belongs to the class: " + string.Join("; ", offences));
    }
}
