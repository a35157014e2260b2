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
            throw new ParameterException("device", $"{Printable.Escape(name)}: CUDA is not available to this build (it runs on the CPU libtorch; the README's GPU section says how to run on a GPU)");
        Device device;
        try { device = torch.device(name); }
        catch (Exception) { throw new ParameterException("device", $"{Printable.Escape(name)}: expected cpu, cuda or cuda:N"); }
        if (device.type is not (DeviceType.CPU or DeviceType.CUDA))
            throw new ParameterException("device", $"{name}: expected cpu, cuda or cuda:N");
        return device;
    }
}
