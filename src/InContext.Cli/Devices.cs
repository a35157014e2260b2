using InContext;
using TorchSharp;
using static TorchSharp.torch;

namespace InContext.Cli;

/// <summary>The one place the CLI turns <c>--device</c> into a torch device.</summary>
static class Devices
{
    public static Device Parse(string? name)
    {
        name ??= "cpu";
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
            throw new InputException($"--device {name}: CUDA is not available (this build references the CPU libtorch; see the README's GPU section)");
        try { return torch.device(name); }
        catch (Exception) { throw new InputException($"--device {name}: expected cpu, cuda or cuda:N"); }
    }
}
