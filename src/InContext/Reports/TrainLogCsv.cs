using System.Globalization;

namespace InContext.Reports;

/// <summary>One logged training step, as written to a run's train_log.csv.</summary>
public sealed record TrainLogRow(long Step, double Loss, double ExcessLoss, int NPoints, int NDims, double Seconds);

/// <summary>
/// Reads train_log.csv (<c>step,loss,excess_loss,n_points,n_dims,seconds</c>). Columns are found
/// by name, so extra columns or another order do no harm; anything malformed is reported as a
/// <see cref="ReportInputException"/> naming the file and the line.
/// </summary>
public static class TrainLogCsv
{
    public static readonly string[] Columns = { "step", "loss", "excess_loss", "n_points", "n_dims", "seconds" };

    public static IReadOnlyList<TrainLogRow> Load(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (IOException e) { throw new ReportInputException($"{path}: cannot read ({e.Message})", e); }

        if (lines.Length == 0 || string.IsNullOrWhiteSpace(lines[0]))
            throw new ReportInputException($"{path}: empty, expected the header {string.Join(',', Columns)}");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToList();
        var index = Columns.Select(c => header.IndexOf(c)).ToArray();
        var missing = Columns.Where((_, i) => index[i] < 0).ToList();
        if (missing.Count > 0)
            throw new ReportInputException($"{path}: line 1: header lacks {string.Join(", ", missing)} (expected {string.Join(',', Columns)})");

        var rows = new List<TrainLogRow>();
        for (int line = 2; line <= lines.Length; line++)
        {
            var text = lines[line - 1];
            if (string.IsNullOrWhiteSpace(text)) continue;
            var fields = text.Split(',');
            if (fields.Length != header.Count)
                throw new ReportInputException($"{path}: line {line}: {fields.Length} fields where the header has {header.Count}");
            string Field(int column) => fields[index[column]].Trim();
            double Real(int column) => double.TryParse(Field(column), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v : throw new ReportInputException($"{path}: line {line}: {Columns[column]} '{Field(column)}' is not a number");
            long Whole(int column) => long.TryParse(Field(column), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                ? v : throw new ReportInputException($"{path}: line {line}: {Columns[column]} '{Field(column)}' is not an integer");
            rows.Add(new TrainLogRow(Whole(0), Real(1), Real(2), (int)Whole(3), (int)Whole(4), Real(5)));
        }
        return rows;
    }
}
