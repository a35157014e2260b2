using System.Text;
using InContext.Storage;

namespace InContext.Reports;

/// <summary>
/// A page that a program fills as it runs, section by section (the labs in <c>labs/</c> do what the
/// notebooks do, and this is their output): the lines it printed, its figures, its tables. Every
/// figure is written at once as <c>NAME.png</c> into the page's folder; <see cref="Write"/> then
/// writes the page into the same folder, one self-contained HTML file with the figures inline and
/// the style of <see cref="HtmlReport"/>. What is printed goes to <paramref name="echo"/> as well
/// (a console), so that the program's output and its page say the same.
/// </summary>
/// <param name="folder">The folder for the figures and the page (created if need be).</param>
/// <param name="title">The page's title and heading.</param>
/// <param name="echo">Where printed lines and tables go besides the page; null: nowhere.</param>
public sealed class FigurePage(string folder, string title, TextWriter? echo = null)
{
    abstract record Item;
    sealed record Line(string Text) : Item;
    sealed record Figure(byte[] Png, string Alt, int Width, int Height) : Item;
    sealed record Table(ReportTable Content) : Item;
    sealed record Section(string Heading, List<Item> Items);

    readonly List<Section> _sections = [];

    /// <summary>The folder the figures and the page are written to.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>The figure files written so far, in order.</summary>
    public List<string> FigureFiles { get; } = [];

    Section Current
    {
        get
        {
            if (_sections.Count == 0) _sections.Add(new Section("", []));
            return _sections[^1];
        }
    }

    /// <summary>Starts a section with <paramref name="heading"/>; what follows goes into it.</summary>
    public void Heading(string heading)
    {
        _sections.Add(new Section(heading, []));
        echo?.WriteLine($"\n== {heading}");
    }

    /// <summary>Prints <paramref name="text"/> (one or more lines) into the current section.</summary>
    public void Print(string text)
    {
        Current.Items.Add(new Line(text));
        echo?.WriteLine(text);
    }

    /// <summary>Writes <paramref name="figure"/> as <c>NAME.png</c> into the folder and shows it in the current section; returns the file.</summary>
    public string Add(string name, ScottPlot.Plot figure, int width = FigureExport.DefaultWidth, int height = FigureExport.DefaultHeight) =>
        Add(name, new ScottPlot.Multiplot(figure), width, height);

    /// <summary>Writes <paramref name="figure"/> as <c>NAME.png</c> into the folder and shows it in the current section; returns the file.</summary>
    public string Add(string name, ScottPlot.IMultiplot figure, int width = FigureExport.DefaultWidth, int height = FigureExport.DefaultHeight)
    {
        AtomicFile.EnsureFolderWritable(Folder);
        var path = Path.Combine(Folder, Figures.FileName(name) + ".png");
        var png = FigureExport.Png(figure, width, height);
        AtomicFile.WriteAllBytes(path, png);
        Current.Items.Add(new Figure(png, name, width, height));
        FigureFiles.Add(path);
        echo?.WriteLine($"figure: {path}");
        return path;
    }

    /// <summary>Shows <paramref name="table"/> in the current section (and prints it, columns separated by " | ").</summary>
    public void Add(ReportTable table)
    {
        Current.Items.Add(new Table(table));
        if (echo is null) return;
        echo.WriteLine(table.Caption);
        foreach (var row in new[] { table.Header }.Concat(table.Rows)) echo.WriteLine(string.Join(" | ", row));
    }

    /// <summary>Writes the page as <paramref name="fileName"/> into the folder (through a temporary file); returns its path.</summary>
    public string Write(string fileName)
    {
        AtomicFile.EnsureFolderWritable(Folder);
        var html = new StringBuilder();
        HtmlReport.Head(html, title);
        foreach (var section in _sections)
        {
            html.Append("<section>\n");
            if (section.Heading.Length > 0) html.Append($"<h2>{HtmlReport.E(section.Heading)}</h2>\n");
            // Consecutive printed lines form one block, as a console shows them.
            var lines = new List<string>();
            void Flush()
            {
                if (lines.Count > 0) html.Append($"<pre>{HtmlReport.E(string.Join("\n", lines))}</pre>\n");
                lines.Clear();
            }
            foreach (var item in section.Items)
            {
                if (item is Line line) { lines.Add(line.Text); continue; }
                Flush();
                if (item is Figure f) HtmlReport.Image(html, f.Png, f.Alt, f.Width, f.Height);
                else if (item is Table t) HtmlReport.PlainTable(html, t.Content, "page");
            }
            Flush();
            html.Append("</section>\n");
        }
        html.Append("</body>\n</html>\n");
        var path = Path.Combine(Folder, fileName);
        AtomicFile.WriteAllText(path, html.ToString());
        echo?.WriteLine($"page: {path}");
        return path;
    }
}
