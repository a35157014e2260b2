using System.Globalization;
using InContext.Storage;

namespace InContext.Training;

/// <summary>One logged training step.</summary>
public sealed record LogRow(int Step, double Loss, double ExcessLoss, int NPoints, int NDims, double Seconds);

/// <summary>
/// <c>train_log.csv</c>: <c>step,loss,excess_loss,n_points,n_dims,seconds</c>. On resume, rows
/// past the resumed step are dropped, since those steps are trained again.
/// </summary>
public sealed class TrainingLog
{
    /// <summary>The header line, the columns in order.</summary>
    public const string Header = "step,loss,excess_loss,n_points,n_dims,seconds";
    readonly string _path;

    /// <summary>Opens the log at <paramref name="path"/> for appending, keeping only the rows up to <paramref name="resumeAfterStep"/> (and no half-written last line).</summary>
    public TrainingLog(string path, int resumeAfterStep)
    {
        _path = path;
        // A process killed while appending may have left half a last line: resuming drops it with the rows it retrains.
        var kept = File.Exists(path) ? Read(path, dropTruncatedLastLine: true).Where(r => r.Step <= resumeAfterStep).ToList() : new List<LogRow>();
        AtomicFile.WriteAllText(path, string.Join("\n", new[] { Header }.Concat(kept.Select(Format))) + "\n");
    }

    /// <summary>Appends one row; if the disk fills mid-line, the file is cut back to its last whole row.</summary>
    public void Append(LogRow row)
    {
        long length = 0;
        try
        {
            using var stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
            length = stream.Length;
            try
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(Format(row) + "\n"));
                stream.Flush();
            }
            catch (IOException)
            {
                try { stream.SetLength(length); } catch (IOException) { }
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(_path, e); }
    }

    static string Format(LogRow r) => string.Join(',',
        r.Step.ToString(CultureInfo.InvariantCulture), r.Loss.ToString("R", CultureInfo.InvariantCulture),
        r.ExcessLoss.ToString("R", CultureInfo.InvariantCulture), r.NPoints.ToString(CultureInfo.InvariantCulture),
        r.NDims.ToString(CultureInfo.InvariantCulture), r.Seconds.ToString("F3", CultureInfo.InvariantCulture));

    /// <summary>The column names, in order.</summary>
    public static readonly string[] Columns = Header.Split(',');

    /// <summary>
    /// Reads a training log. Columns are found by name, so extra columns or another order do no
    /// harm; anything malformed is refused naming the file and the line.
    /// </summary>
    public static List<LogRow> Read(string path, bool dropTruncatedLastLine = false)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(path, e); }

        if (lines.Length == 0 || string.IsNullOrWhiteSpace(lines[0]))
            throw new InputException($"{path}: empty, expected the header {Header}");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToList();
        var index = Columns.Select(c => header.IndexOf(c)).ToArray();
        var missing = Columns.Where((_, i) => index[i] < 0).ToList();
        if (missing.Count > 0)
            throw new InputException($"{path}: line 1: header lacks {string.Join(", ", missing)} (expected {Header})");

        var rows = new List<LogRow>();
        for (var line = 2; line <= lines.Length; line++)
        {
            var text = lines[line - 1];
            if (string.IsNullOrWhiteSpace(text)) continue;
            var fields = text.Split(',');
            if (dropTruncatedLastLine && line == lines.Length && fields.Length != header.Count) break;
            if (fields.Length != header.Count)
                throw new InputException($"{path}: line {line}: {fields.Length} fields where the header has {header.Count}");
            string Field(int column) => fields[index[column]].Trim();
            double Real(int column) => double.TryParse(Field(column), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v : throw new InputException($"{path}: line {line}: {Columns[column]} '{Printable.Escape(Field(column))}' is not a number");
            int Whole(int column) => int.TryParse(Field(column), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                ? v : throw new InputException($"{path}: line {line}: {Columns[column]} '{Printable.Escape(Field(column))}' is not an integer");
            rows.Add(new LogRow(Whole(0), Real(1), Real(2), Whole(3), Whole(4), Real(5)));
        }
        return rows;
    }
}
