namespace InContext.Reports;

/// <summary>A plain table of text for a report: a caption, column names and rows of cells.</summary>
public sealed record ReportTable(string Caption, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows);
