using System.Globalization;

namespace InContext.Training;

/// <summary>One logged training step.</summary>
public sealed record LogRow(int Step, double Loss, double ExcessLoss, int NPoints, int NDims, double Seconds);

/// <summary>
/// <c>train_log.csv</c>: <c>step,loss,excess_loss,n_points,n_dims,seconds</c>. On resume, rows
/// past the resumed step are dropped, since those steps are trained again.
/// </summary>
public sealed class TrainingLog
{
    public const string Header = "step,loss,excess_loss,n_points,n_dims,seconds";
    readonly string _path;

    public TrainingLog(string path, int resumeAfterStep)
    {
        _path = path;
        var kept = File.Exists(path) ? Read(path).Where(r => r.Step <= resumeAfterStep).ToList() : new List<LogRow>();
        var tmp = path + ".tmp";
        File.WriteAllLines(tmp, new[] { Header }.Concat(kept.Select(Format)));
        File.Move(tmp, path, overwrite: true);
    }

    public void Append(LogRow row) => File.AppendAllText(_path, Format(row) + "\n");

    static string Format(LogRow r) => string.Join(',',
        r.Step.ToString(CultureInfo.InvariantCulture), r.Loss.ToString("R", CultureInfo.InvariantCulture),
        r.ExcessLoss.ToString("R", CultureInfo.InvariantCulture), r.NPoints.ToString(CultureInfo.InvariantCulture),
        r.NDims.ToString(CultureInfo.InvariantCulture), r.Seconds.ToString("F3", CultureInfo.InvariantCulture));

    /// <summary>Reads a training log; a malformed row is refused with the file and row number.</summary>
    public static List<LogRow> Read(string path)
    {
        var rows = new List<LogRow>();
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != Header)
            throw new InputException($"{path}: row 1: expected the header '{Header}'");
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            try
            {
                if (f.Length != 6) throw new FormatException($"expected 6 fields, found {f.Length}");
                var c = CultureInfo.InvariantCulture;
                rows.Add(new LogRow(int.Parse(f[0], c), double.Parse(f[1], c), double.Parse(f[2], c), int.Parse(f[3], c), int.Parse(f[4], c), double.Parse(f[5], c)));
            }
            catch (FormatException e)
            {
                throw new InputException($"{path}: row {i + 1}: {e.Message}");
            }
        }
        return rows;
    }
}
