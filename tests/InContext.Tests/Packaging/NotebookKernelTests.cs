using System.Text.Json;
using Xunit;

namespace InContext.Tests.Packaging;

/// <summary>
/// What the notebook extension's <c>NativeRuntime.EnsureLibTorchSharpLoads()</c> does where another
/// libtorch is on the system's library path (Debian's libtorch-dev puts libtorch 1.13 in
/// /usr/lib/x86_64-linux-gnu): in a notebook every cell with a tensor failed with "undefined
/// symbol: _ZNK3c105Error4whatEv". A notebook kernel takes TorchSharp from the NuGet cache and
/// resolves native libraries through its package resolver only after .NET's own probing (the
/// app's folders, then the loader's search path) found nothing; <see cref="HostProgram"/> does the
/// same, and a folder on LD_LIBRARY_PATH stands in for the system's libtorch. The host is built
/// once for the class; everything lives in one temporary folder.
/// </summary>
public class NotebookKernelTests(NotebookKernelTests.Host host) : IClassFixture<NotebookKernelTests.Host>
{
    [Fact]
    public void TorchSharps_own_libtorch_is_loaded_though_another_is_first_on_the_library_path()
    {
        var (code, output) = host.Run(withLibTorchPackage: true);
        Assert.True(code == 0, output);
        Assert.Contains("matrix product: 7,10,15,22", output);
        var packaged = Path.Combine(host.NuGetPackages, host.LibTorchPackage, "runtimes", "linux-x64", "native");
        Assert.Contains($"libtorch_cpu.so: {Path.Combine(packaged, "libtorch_cpu.so")}", output);
    }

    [Fact]
    public void Without_TorchSharps_libtorch_the_one_line_names_the_libtorch_found_and_its_version()
    {
        var (code, output) = host.Run(withLibTorchPackage: false);
        Assert.True(code == 1, output);   // the host stops before a tensor: the foreign libtorch is loaded
        var line = output.Split('\n').Single(l => l.StartsWith("InContext: ", StringComparison.Ordinal));
        Assert.Contains($"the libtorch found is {Path.Combine(host.Foreign, "libtorch.so.1.13")} (libtorch 1.13), not TorchSharp's", line);
        Assert.Contains("needs libtorch 2.10", line);
    }

    /// <summary>
    /// A stand-in for a notebook kernel: InContext and TorchSharp are not in its deps.json; it loads
    /// them from the folders named on its command line, and native libraries from the packages'
    /// native folders only when .NET's probing finds none (AssemblyLoadContext.ResolvingUnmanagedDll,
    /// as .NET Interactive's package resolver does). It calls what the notebook extension calls,
    /// stops (exit 1) if a libtorch from the foreign folder got loaded, else multiplies two matrices.
    /// </summary>
    const string HostProgram = """
        using System.Runtime.CompilerServices;
        using System.Runtime.InteropServices;
        using System.Runtime.Loader;

        var managed = args[0].Split(Path.PathSeparator);
        var natives = args[1].Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var foreign = args[2];
        AssemblyLoadContext.Default.Resolving += (context, name) =>
            managed.Select(d => Path.Combine(d, name.Name + ".dll")).Where(File.Exists).Select(context.LoadFromAssemblyPath).FirstOrDefault();
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += (assembly, name) =>
        {
            foreach (var d in natives)
                foreach (var file in new[] { name, $"lib{name}.so", $"{name}.so" })
                    if (File.Exists(Path.Combine(d, file))) return NativeLibrary.Load(Path.Combine(d, file));
            return 0;
        };
        return Run(foreign);

        [MethodImpl(MethodImplOptions.NoInlining)]   // InContext and TorchSharp resolve when this is compiled, after the handlers above
        static int Run(string foreign)
        {
            Console.WriteLine("InContext: " + InContext.Native.NativeRuntime.EnsureLibTorchSharpLoads());
            var mapped = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length == 6 && p[5].StartsWith('/')).Select(p => p[5].Trim()).Distinct().ToList();
            var wrong = mapped.Where(p => p.StartsWith(foreign + "/", StringComparison.Ordinal)).ToList();
            if (wrong.Count > 0) { Console.WriteLine("loaded from the foreign folder: " + string.Join(", ", wrong)); return 1; }
            using var a = TorchSharp.torch.tensor(new float[] { 1, 2, 3, 4 }).view(2, 2);
            using var product = a.matmul(a);
            Console.WriteLine("matrix product: " + string.Join(",", product.data<float>().ToArray()));
            mapped = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length == 6 && p[5].StartsWith('/')).Select(p => p[5].Trim()).Distinct().ToList();
            Console.WriteLine("libtorch_cpu.so: " + mapped.Single(p => Path.GetFileName(p) == "libtorch_cpu.so"));
            return 0;
        }
        """;

    /// <summary>
    /// The host program, built; a packages folder laid out as the NuGet cache is (links to the
    /// cache's TorchSharp and libtorch, so that nothing is written into the cache); and the foreign
    /// libtorch: libtorch.so.1.13, libtorch_cpu.so.1.13 and libc10.so.1.13 with their unversioned
    /// links, as Debian installs them. Any library that is not TorchSharp's libtorch will do to stand
    /// in for it: these are copies of TorchSharp's libc10.so, which loads on its own and lacks
    /// libtorch's functions.
    /// </summary>
    public sealed class Host : IDisposable
    {
        public string Root { get; } = TestPaths.TempDir();
        public string Foreign { get; }
        public string NuGetPackages { get; } = PackagedCopy.NuGetPackages;
        /// <summary>TorchSharp's package and version as the tests' own deps.json names them, e.g. torchsharp/0.107.0.</summary>
        public string TorchSharpPackage { get; }
        /// <summary>libtorch-cpu-linux-x64/2.10.0.</summary>
        public string LibTorchPackage { get; }
        readonly string _hostDll;
        readonly (int code, string output) _build;

        public Host()
        {
            using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "InContext.Tests.deps.json")));
            string PackagePath(string id) => deps.RootElement.GetProperty("libraries").EnumerateObject()
                .Single(l => l.Name.StartsWith(id + "/", StringComparison.OrdinalIgnoreCase)).Value.GetProperty("path").GetString()!;
            TorchSharpPackage = PackagePath("TorchSharp");
            LibTorchPackage = PackagePath("libtorch-cpu-linux-x64");

            Foreign = Directory.CreateDirectory(Path.Combine(Root, "foreign")).FullName;
            var libc10 = Path.Combine(NuGetPackages, LibTorchPackage, "runtimes", "linux-x64", "native", "libc10.so");
            foreach (var name in new[] { "libtorch.so", "libtorch_cpu.so", "libc10.so" })
            {
                File.Copy(libc10, Path.Combine(Foreign, name + ".1.13"));
                File.CreateSymbolicLink(Path.Combine(Foreign, name), name + ".1.13");
            }

            var project = Directory.CreateDirectory(Path.Combine(Root, "host")).FullName;
            var torchSharpDll = Path.Combine(NuGetPackages, TorchSharpPackage, "lib", "net8.0", "TorchSharp.dll");
            File.WriteAllText(Path.Combine(project, "host.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <!-- compiled against, not copied: the host loads them from the folders it is given -->
                    <Reference Include="InContext" HintPath="{Path.Combine(AppContext.BaseDirectory, "InContext.dll")}" Private="false" />
                    <Reference Include="TorchSharp" HintPath="{torchSharpDll}" Private="false" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(project, "Program.cs"), HostProgram);
            var bin = Path.Combine(Root, "host-bin");
            _build = PackagedCopy.Dotnet(project, "build", "-c", "Release", "-o", bin, "-nologo");
            _hostDll = Path.Combine(bin, "host.dll");
        }

        /// <summary>
        /// Runs the host with the foreign folder on LD_LIBRARY_PATH, on a packages folder of its own
        /// that holds TorchSharp and, if <paramref name="withLibTorchPackage"/>, TorchSharp's libtorch.
        /// </summary>
        public (int code, string output) Run(bool withLibTorchPackage)
        {
            Assert.True(_build.code == 0, _build.output);
            var packages = Path.Combine(Root, withLibTorchPackage ? "packages-with-libtorch" : "packages-without-libtorch");
            var torchSharp = Path.Combine(packages, TorchSharpPackage);
            if (!Directory.Exists(packages))
            {
                foreach (var dir in new[] { Path.Combine("lib", "net8.0"), Path.Combine("runtimes", "linux-x64", "native") })
                {
                    Directory.CreateDirectory(Path.Combine(torchSharp, dir));
                    foreach (var file in Directory.GetFiles(Path.Combine(NuGetPackages, TorchSharpPackage, dir)))
                        File.CreateSymbolicLink(Path.Combine(torchSharp, dir, Path.GetFileName(file)), file);
                }
                if (withLibTorchPackage)
                {
                    var libTorch = Path.Combine(packages, LibTorchPackage);
                    Directory.CreateDirectory(Path.GetDirectoryName(libTorch)!);
                    Directory.CreateSymbolicLink(libTorch, Path.Combine(NuGetPackages, LibTorchPackage));
                }
            }
            var natives = new List<string> { Path.Combine(torchSharp, "runtimes", "linux-x64", "native") };
            if (withLibTorchPackage) natives.Add(Path.Combine(packages, LibTorchPackage, "runtimes", "linux-x64", "native"));
            var managed = string.Join(Path.PathSeparator, Path.Combine(torchSharp, "lib", "net8.0"), AppContext.BaseDirectory);
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
            return PackagedCopy.Run("env", Root, $"LD_LIBRARY_PATH={Foreign}", dotnet, _hostDll,
                managed, string.Join(Path.PathSeparator, natives), Foreign);
        }

        public void Dispose()
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { }
        }
    }
}
