using System.Globalization;
using InContext.Storage;

namespace InContext.Probing;

/// <summary>
/// Rows read from a CSV file: inputs <see cref="X"/> <c>[rows, dims]</c> and, for a context,
/// outputs <see cref="Y"/>; <see cref="Lines"/> holds each row's line in the file.
/// </summary>
public sealed record CsvRows(string Path, double[,] X, double[]? Y, int[] Lines)
{
    /// <summary>The number of rows.</summary>
    public int Rows => X.GetLength(0);
    /// <summary>The number of input columns.</summary>
    public int Dims => X.GetLength(1);
}

/// <summary>
/// The prompts of <c>icl predict</c> as CSV: a context with header <c>x1,...,xd,y</c> and one
/// (x, y) pair per row; queries with header <c>x1,...,xd</c>. Comma-separated, blank lines
/// skipped, numbers in invariant culture (<c>1.5</c>, <c>-2e-3</c>). Anything else is refused with
/// one line naming the file, the row (and its line) and the column, and what was expected.
/// </summary>
public static class ContextCsv
{
    /// <summary>
    /// Reads a context. <paramref name="maxDims"/> and <paramref name="maxRows"/> are the model's
    /// limits (n_dims and n_positions − 1), null when there is no model.
    /// </summary>
    public static CsvRows ReadContext(string path, int? maxDims = null, int? maxRows = null)
    {
        var (header, rows) = Lines(path);
        var names = Header(path, header.Text);
        var y = Array.FindIndex(names, n => n.Equals("y", StringComparison.OrdinalIgnoreCase));
        if (y < 0)
            throw Error(path, "line 1 (header)", $"missing column 'y' (expected x1,...,xd,y; found {Printable.Escape(string.Join(",", names))})");
        if (y < names.Length - 1)
            throw Error(path, $"line 1 (header), column {y + 2} '{Printable.Escape(names[y + 1])}'", "unexpected column after 'y' (expected x1,...,xd,y)");
        var dims = CheckInputs(path, names, y, "x1,...,xd,y");
        if (maxDims is { } md && dims > md)
            throw Error(path, "line 1 (header)", $"{dims} input columns x1..x{dims}; the model takes at most n_dims = {md}");
        if (rows.Count == 0)
            throw Error(path, "no data rows", "the context needs at least one (x, y) pair");
        if (maxRows is { } mr && rows.Count > mr)
            throw Error(path, $"row {mr + 1} (line {rows[mr].Number})",
                $"{rows.Count} context rows; the model reads at most n_positions − 1 = {mr} pairs before a query");
        var values = Values(path, names, rows);
        var x = new double[rows.Count, dims];
        var ys = new double[rows.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            for (var j = 0; j < dims; j++) x[r, j] = values[r][j];
            ys[r] = values[r][dims];
        }
        return new CsvRows(path, x, ys, rows.Select(l => l.Number).ToArray());
    }

    /// <summary>
    /// Reads queries whose inputs must match the context's <paramref name="dims"/> columns, and,
    /// when the header ends in <c>y</c>, their true outputs (to score each model's predictions).
    /// </summary>
    public static CsvRows ReadQueries(string path, int dims)
    {
        var (header, rows) = Lines(path);
        var names = Header(path, header.Text);
        var expected = $"x1,...,x{dims}[,y], as the context";
        var y = Array.FindIndex(names, n => n.Equals("y", StringComparison.OrdinalIgnoreCase));
        if (y >= 0 && y < names.Length - 1)
            throw Error(path, $"line 1 (header), column {y + 2} '{Printable.Escape(names[y + 1])}'", $"unexpected column after 'y' (expected {expected})");
        var found = CheckInputs(path, names, y >= 0 ? y : names.Length, expected);
        if (found < dims) throw Error(path, "line 1 (header)", $"missing column 'x{found + 1}' (expected {expected})");
        if (found > dims) throw Error(path, $"line 1 (header), column {dims + 1} 'x{dims + 1}'", $"unexpected (expected {expected})");
        if (rows.Count == 0)
            throw Error(path, "no data rows", "expected at least one query");
        var values = Values(path, names, rows);
        var x = new double[rows.Count, dims];
        for (var r = 0; r < rows.Count; r++)
            for (var j = 0; j < dims; j++) x[r, j] = values[r][j];
        var ys = y >= 0 ? values.Select(v => v[dims]).ToArray() : null;
        return new CsvRows(path, x, ys, rows.Select(l => l.Number).ToArray());
    }

    sealed record Line(int Number, string Text);

    static InputException Error(string path, string where, string what) => new($"{path}: {where}: {what}");

    static (Line header, List<Line> rows) Lines(string path)
    {
        if (Directory.Exists(path)) throw new InputException($"{path}: is a folder, expected a CSV file");
        if (!File.Exists(path)) throw new InputException($"{path}: file not found");
        string[] text;
        try { text = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.StorageError(path, e); }
        var lines = text.Select((t, i) => new Line(i + 1, t)).ToList();
        if (lines.Count == 0 || lines[0].Text.Trim().Length == 0)
            throw Error(path, "line 1", "expected a header (x1,...,xd,y for a context, x1,...,xd for queries), found an empty line");
        return (lines[0], lines.Skip(1).Where(l => l.Text.Trim().Length > 0).ToList());
    }

    static string[] Header(string path, string text) => text.Split(',').Select(c => c.Trim()).ToArray();

    /// <summary>Checks that the first <paramref name="count"/> header names are x1, x2, ...; returns their number.</summary>
    static int CheckInputs(string path, string[] names, int count, string expected)
    {
        for (var j = 0; j < count; j++)
            if (!names[j].Equals($"x{j + 1}", StringComparison.OrdinalIgnoreCase))
                throw Error(path, $"line 1 (header), column {j + 1}", $"expected 'x{j + 1}', found '{Printable.Escape(names[j])}' (expected {expected})");
        if (count == 0) throw Error(path, "line 1 (header)", $"no input columns (expected {expected})");
        return count;
    }

    static double[][] Values(string path, string[] names, List<Line> rows) =>
        rows.Select((line, r) =>
        {
            var where = $"row {r + 1} (line {line.Number})";
            var cells = line.Text.Split(',');
            if (cells.Length < names.Length)
                throw Error(path, where, $"missing column {cells.Length + 1} '{names[cells.Length]}' (expected {names.Length} values: {string.Join(",", names)})");
            if (cells.Length > names.Length)
                throw Error(path, $"{where}, column {names.Length + 1}", $"extra value '{Printable.Escape(cells[names.Length].Trim())}' (expected {names.Length} values: {string.Join(",", names)})");
            return cells.Select((cell, j) =>
            {
                var text = cell.Trim();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                    throw Error(path, $"{where}, column {j + 1} '{Printable.Escape(names[j])}'", $"expected a finite number, found '{Printable.Escape(text)}'");
                if (Math.Abs(v) > float.MaxValue)
                    throw Error(path, $"{where}, column {j + 1} '{Printable.Escape(names[j])}'", $"expected a number within ±3.4e38 (the model's float32), found '{text}'");
                return v;
            }).ToArray();
        }).ToArray();
}
