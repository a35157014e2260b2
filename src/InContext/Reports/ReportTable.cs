using System.Text;

namespace InContext.Reports;

/// <summary>A plain table of text for a report: a caption, column names and rows of cells.</summary>
public sealed record ReportTable(string Caption, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>The table as Markdown (for a terminal, a log, or the docs), after its caption and a blank line when <paramref name="withCaption"/>.</summary>
    public string Markdown(bool withCaption = false)
    {
        var sb = new StringBuilder();
        if (withCaption) sb.Append(Caption).Append("\n\n");
        sb.Append("| ").Append(string.Join(" | ", Header)).Append(" |\n");
        sb.Append('|').Append(string.Concat(Header.Select(_ => "---|"))).Append('\n');
        foreach (var row in Rows) sb.Append("| ").Append(string.Join(" | ", row.Select(c => c.Replace("|", "\\|")))).Append(" |\n");
        return sb.ToString();
    }
}
