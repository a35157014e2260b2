using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using InContext.Evaluation;
using InContext.Models;
using InContext.Probing;
using InContext.Config;
using InContext.Interop;
using InContext.Tasks;
using Spectre.Console;
using InContext.Storage;

namespace InContext.Cli;

static class PredictCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string?>("run-dir") { Description = "A run folder. Without one, the baselines alone.", Arity = ArgumentArity.ZeroOrOne };
        var context = new Option<string>("--context") { Description = "CSV of in-context pairs, header x1,...,xd,y (d ≤ the model's n_dims; at most n_positions − 1 rows).", Required = true };
        var query = new Option<string>("--query") { Description = "CSV of queries, header x1,...,xd, or x1,...,xd,y to score each model on the true outputs.", Required = true };
        var models = new Option<string[]>("--models") { Description = "Models, by id (transformer, least_squares, knn_3, averaging, lasso_0.01, tree_depth_4, tree, boosted_trees, nn_gd); default: the transformer and its task's baselines.", AllowMultipleArgumentsPerToken = true };
        var standardize = new Option<bool>("--standardize") { Description = "Rescale inputs (per column) and outputs to the run's training distribution, and the predictions back." };
        var permutations = new Option<int>("--permutations") { Description = "Average the transformer over K orders of the context (the given one, then random ones) and report their spread.", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "Seed of the random context orders.", DefaultValueFactory = _ => 0 };
        var format = new Option<string>("--format") { Description = "table, csv or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var outFile = new Option<string?>("--out") { Description = "Write the predictions to this file instead of the console." };
        var step = new Option<int?>("--step") { Description = "Use model_<step>.pt instead of state.pt." };
        var device = Devices.Option();
        var cmd = new Command("predict", "Predict your own queries from your own context with a run's transformer, beside the classical baselines.")
            { runDir, context, query, models, standardize, permutations, seed, format, outFile, step, device };
        cmd.SetAction(p =>
        {
            var dir = p.GetValue(runDir);
            var on = Devices.Parse(p.GetValue(device));   // checked with a run folder or without (the baselines run on the CPU)
            var k = p.GetValue(permutations);
            if (k < 1) throw new ParameterException("permutations", $"{k}: must be at least 1");
            if (k > InContextRegressor.MaxPermutations)
                throw new ParameterException("permutations", $"{k}: at most {InContextRegressor.MaxPermutations}; the mean over that many random orders is within about 3% of their spread of the mean over all orders, and more only cost time and memory");
            if (dir is null && p.GetValue(standardize)) throw new InputException("--standardize rescales to a run's training distribution: give the run folder");
            if (dir is null && k > 1) throw new InputException("--permutations permutes the transformer's context: give the run folder (the baselines do not depend on the order)");
            if (p.GetValue(outFile) is { } target) AtomicFile.EnsureWritable(target);   // refused before any work
            var run = dir is null ? null : new RunFolder(dir);
            var training = run is null ? null : TrainingDistribution.Of(run.LoadConfig());
            var contextRows = ContextCsv.ReadContext(p.GetValue(context)!, training?.NDims, training?.MaxContext);
            var queryRows = ContextCsv.ReadQueries(p.GetValue(query)!, contextRows.Dims);
            using var transformer = run?.LoadModel(on, p.GetValue(step));
            // Without a run, the baselines every task is compared with (least squares, 3-NN, averaging).
            var problem = new EvaluationProblem(training?.Task ?? new LinearRegression(contextRows.Dims), contextRows.Rows + 1);
            var predictors = RunEvaluation.SelectModels(problem, transformer, Lists.Split(p.GetValue(models)));
            var result = ContextComparison.Run(predictors, training, contextRows.X, contextRows.Y!, queryRows.X,
                p.GetValue(standardize), k, p.GetValue(seed));
            var scores = queryRows.Y is { } truth ? result.Score(truth, problem.Task) : null;
            Write(result, Notes(contextRows, queryRows, training, result, p.GetValue(seed), scores, problem.Task), p.GetValue(format)!, p.GetValue(outFile), scores);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static List<string> Notes(CsvRows context, CsvRows queries, TrainingDistribution? training, ContextComparison result, long seed,
        IReadOnlyDictionary<string, double>? scores, InContext.Tasks.FunctionClass task)
    {
        var pad = training is { } t && t.NDims > context.Dims ? $", zero-padded to n_dims = {t.NDims}" : "";
        var notes = new List<string>
        {
            $"context: {context.Rows} pairs × {context.Dims} inputs from {context.Path}{pad}; {queries.Rows} queries from {queries.Path}",
        };
        if (result.Standardization is { } s) notes.Add($"standardized for every model: {s.Describe()}");
        if (scores is not null)
            notes.Add($"{task.MetricName} on the {queries.Rows} queries' y ({(task.HigherIsBetter ? "higher" : "lower")} is better): "
                      + string.Join(", ", scores.Select(kv => $"{kv.Key} {kv.Value.ToString("G4", CultureInfo.InvariantCulture)}")));
        if (result.Permutations > 1)
            notes.Add($"transformer: mean ± std over {result.Permutations} orders of the context (the given order, then random ones, seed {seed}); the baselines do not depend on the order and see it once");
        return notes;
    }

    /// <summary>
    /// The predictions to the console or to <paramref name="outFile"/>. The notes go before a table;
    /// beside csv or json they go to stderr (stdout stays machine-readable), or to the console when
    /// the data go to a file.
    /// </summary>
    static void Write(ContextComparison result, List<string> notes, string format, string? outFile, IReadOnlyDictionary<string, double>? scores)
    {
        var writer = outFile is null ? Console.Out : new StringWriter();
        var notesTo = format == "table" ? writer : outFile is null ? Console.Error : Console.Out;
        foreach (var n in notes) notesTo.WriteLine(n);
        if (format == "table")
        {
            var console = outFile is null ? AnsiConsole.Console : AnsiConsole.Create(new AnsiConsoleSettings
                { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
            console.Write(Table(result));
        }
        else writer.Write(format == "csv" ? Csv(result) : Json(result, notes, scores));
        if (outFile is null) return;
        AtomicFile.WriteAllText(outFile, writer.ToString()!);
        Console.WriteLine($"Wrote {Path.GetFullPath(outFile)}");
    }

    /// <summary>A prediction as text: the shortest string that reads back as the same float32, the precision every model computes in.</summary>
    static string Number(double v) => ((float)v).ToString(CultureInfo.InvariantCulture);

    static Table Table(ContextComparison result)
    {
        var table = new Table().AddColumn(new TableColumn("query").RightAligned());
        foreach (var m in result.Models) table.AddColumn(new TableColumn(Markup.Escape(m)).RightAligned());
        var rows = result.Predictions.Values.First().Mean.Length;
        for (var q = 0; q < rows; q++)
            table.AddRow(new[] { (q + 1).ToString() }.Concat(result.Models.Select(m =>
            {
                var p = result.Predictions[m];
                var mean = p.Mean[q].ToString("G6", CultureInfo.InvariantCulture);
                return m == InContextTransformer.Id && result.Permutations > 1 ? $"{mean} ± {p.Std[q].ToString("G3", CultureInfo.InvariantCulture)}" : mean;
            })).ToArray());
        return table;
    }

    /// <summary>Columns: each model's id; with permutations, <c>transformer_std</c> after <c>transformer</c>.</summary>
    static string Csv(ContextComparison result)
    {
        var columns = result.Models.SelectMany(m => m == InContextTransformer.Id && result.Permutations > 1
            ? new (string Name, Func<int, double> Value)[] { (m, q => result.Predictions[m].Mean[q]), (m + "_std", q => result.Predictions[m].Std[q]) }
            : new (string Name, Func<int, double> Value)[] { (m, q => result.Predictions[m].Mean[q]) }).ToList();
        var csv = new StringBuilder().AppendLine(string.Join(",", columns.Select(c => c.Name)));
        var rows = result.Predictions.Values.First().Mean.Length;
        for (var q = 0; q < rows; q++) csv.AppendLine(string.Join(",", columns.Select(c => Number(c.Value(q)))));
        return csv.ToString();
    }

    static string Json(ContextComparison result, List<string> notes, IReadOnlyDictionary<string, double>? scores)
    {
        var s = result.Standardization;
        var document = new Dictionary<string, object?>
        {
            ["models"] = result.Models,
            ["predictions"] = result.Models.ToDictionary(m => m, m => result.Predictions[m].Mean.Select(v => (float)v)),
            ["permutations"] = result.Permutations,
            ["transformer_std"] = result.Permutations > 1 && result.Predictions.TryGetValue(InContextTransformer.Id, out var t) ? t.Std.Select(v => (float)v) : null,
            ["standardization"] = s is null ? null : new Dictionary<string, object?>
            {
                ["x_mean"] = s.XMean, ["x_std"] = s.XStd, ["y_mean"] = s.YMean, ["y_std"] = s.YStd, ["target_y_std"] = s.TargetYStd,
            },
            ["scores"] = scores,
            ["notes"] = notes,
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
