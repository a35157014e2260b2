using System.Diagnostics;
using System.Net.Sockets;
using InContext.Storage;
using Xunit;

namespace InContext.Tests.Reliability;

/// <summary>
/// What <c>--out</c> (and every file the library writes) may name: a regular file is replaced
/// atomically; a link is followed and stays; a pipe is written through; a socket or anything
/// else that is not a regular file is refused and left as it was. (The same rule covers
/// character devices such as /dev/null; tests touch only their own temp folder, so a FIFO
/// stands for them.) Before, every writer wrote a temporary file and renamed it over whatever
/// the path named: a FIFO, a device node (as root, /dev/null) or a link became a regular file.
/// </summary>
public class OutputTargetTests
{
    static string Fifo(string dir) => SpecialFiles.Fifo(Path.Combine(dir, "pipe"));

    /// <summary>Reads the FIFO in another process (as a shell's consumer would) while <paramref name="write"/> runs; returns what came through.</summary>
    static string ReadWhile(string fifo, Action write)
    {
        var start = new ProcessStartInfo("cat") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(fifo);
        using var reader = Process.Start(start)!;
        var read = reader.StandardOutput.ReadToEndAsync();
        try
        {
            write();
            Assert.True(reader.WaitForExit(20_000), "nothing closed the pipe: the writer never wrote into it");
            return read.Result;
        }
        finally { if (!reader.HasExited) reader.Kill(); }
    }

    static void AssertNoTemporaryFiles(string dir) =>
        Assert.Empty(Directory.GetFiles(dir, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories));

    [Fact]
    public void A_pipe_is_written_through_and_stays_a_pipe()
    {
        var dir = TestPaths.TempDir();
        var fifo = Fifo(dir);
        var read = ReadWhile(fifo, () => AtomicFile.WriteAllText(fifo, "through the pipe\n"));
        Assert.Equal("through the pipe\n", read);
        Assert.Equal(FileKind.Pipe, FileKinds.Of(fifo));
        AssertNoTemporaryFiles(dir);
    }

    [Fact]
    public void A_link_is_followed_to_the_file_it_finally_names_and_stays_a_link()
    {
        var dir = TestPaths.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "real"));
        var file = Path.Combine(dir, "real", "out.txt");
        File.WriteAllText(file, "old");
        var inner = Path.Combine(dir, "inner");
        File.CreateSymbolicLink(inner, Path.Combine("real", "out.txt"));   // relative, as ln -s writes them
        var outer = Path.Combine(dir, "outer");
        File.CreateSymbolicLink(outer, inner);
        AtomicFile.WriteAllText(outer, "new");
        Assert.Equal("new", File.ReadAllText(file));
        Assert.Equal(inner, new FileInfo(outer).LinkTarget);
        Assert.Equal(Path.Combine("real", "out.txt"), new FileInfo(inner).LinkTarget);
        // a link to a file not written yet: the file is made where the link points
        var dangling = Path.Combine(dir, "dangling");
        File.CreateSymbolicLink(dangling, Path.Combine(dir, "real", "later.txt"));
        AtomicFile.WriteAllText(dangling, "made");
        Assert.Equal("made", File.ReadAllText(Path.Combine(dir, "real", "later.txt")));
        Assert.NotNull(new FileInfo(dangling).LinkTarget);
        AssertNoTemporaryFiles(dir);
    }

    [Fact]
    public void A_socket_is_refused_in_one_line_and_left_as_it_was()
    {
        var dir = TestPaths.TempDir();
        var path = Path.Combine(dir, "sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        var e = Assert.Throws<InputException>(() => AtomicFile.WriteAllText(path, "x"));
        Assert.Equal($"{path}: is a socket; only a regular file is replaced (a pipe or a character device is written through)", e.Message);
        Assert.Throws<InputException>(() => AtomicFile.EnsureWritable(path));   // commands refuse it before any work
        Assert.Equal(FileKind.Socket, FileKinds.Of(path));
        AssertNoTemporaryFiles(dir);
    }

    [Fact]
    public void A_loop_of_links_is_refused_in_one_line()
    {
        var dir = TestPaths.TempDir();
        var (a, b) = (Path.Combine(dir, "a"), Path.Combine(dir, "b"));
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        var e = Assert.Throws<InputException>(() => AtomicFile.WriteAllText(a, "x"));
        Assert.Equal($"{a}: more than 40 links in a row (a loop of links?)", e.Message);
    }

    static readonly string[] Predict = ["predict", "--context", "c.csv", "--query", "q.csv", "--format", "csv", "--out"];

    static string PredictionsFolder()
    {
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "c.csv"), "x1,y\n1,2\n2,4\n");
        File.WriteAllText(Path.Combine(dir, "q.csv"), "x1\n3\n");
        return dir;
    }

    [Fact]
    public void Predict_out_a_pipe_writes_the_predictions_into_it()
    {
        var dir = PredictionsFolder();
        var fifo = Fifo(dir);
        (int code, string stdout, string stderr) result = default;
        var read = ReadWhile(fifo, () => result = Cli.RunIn(dir, [.. Predict, "pipe"]));
        Assert.True(result.code == 0, result.stderr);
        Assert.Equal("least_squares,knn_3,averaging\n6,3,15\n", read);
        Assert.Equal(FileKind.Pipe, FileKinds.Of(fifo));
        AssertNoTemporaryFiles(dir);
    }

    [Fact]
    public void Predict_out_a_link_replaces_the_file_it_names_and_keeps_the_link()
    {
        var dir = PredictionsFolder();
        File.WriteAllText(Path.Combine(dir, "target.csv"), "old");
        File.CreateSymbolicLink(Path.Combine(dir, "link.csv"), "target.csv");
        var (code, _, stderr) = Cli.RunIn(dir, [.. Predict, "link.csv"]);
        Assert.True(code == 0, stderr);
        Assert.Equal("least_squares,knn_3,averaging\n6,3,15\n", File.ReadAllText(Path.Combine(dir, "target.csv")));
        Assert.Equal("target.csv", new FileInfo(Path.Combine(dir, "link.csv")).LinkTarget);
        AssertNoTemporaryFiles(dir);
    }
}
