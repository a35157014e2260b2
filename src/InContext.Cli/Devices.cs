using InContext;
using TorchSharp;
using static TorchSharp.torch;
using InContext.Native;

namespace InContext.Cli;

/// <summary>The one place the CLI turns <c>--device</c> (and <c>--cuda-graphs</c>) into what the library takes.</summary>
static class Devices
{
    /// <summary><c>--cuda-graphs</c>: on a CUDA device, replay training steps from CUDA graphs (auto: as <see cref="InContext.Training.GraphedSteps.Choose"/> decides).</summary>
    public static System.CommandLine.Option<string> CudaGraphsOption()
    {
        var option = new System.CommandLine.Option<string>("--cuda-graphs")
        {
            Description = "On a CUDA device: replay each training step from a CUDA graph (auto: when libIclCudaGraphs.so is found and a resumed Adam state has every parameter at one step), on, or off.",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "on", "off");
        return option;
    }

    /// <summary><c>--device</c>, the same on every command; <see cref="Parse"/> checks it before any work, run folder or not.</summary>
    public static System.CommandLine.Option<string> Option() =>
        new("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };

    public static bool? CudaGraphs(string? value) => value switch { "on" => true, "off" => false, _ => null };

    /// <summary><c>--tf32</c>: TensorFloat-32 matrix products on the GPU (faster, less exact); off by default.</summary>
    public static System.CommandLine.Option<bool> Tf32Option() =>
        new("--tf32") { Description = "On a GPU: let matrix products use TensorFloat-32 (faster; about 1e-3 relative error per product). Default: fp32." };

    public static Device Parse(string? name)
    {
        name ??= "cpu";
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
            throw new ParameterException("device", $"{Printable.Escape(name)}: CUDA is not available to this build " + (LibTorchLocation.LibDirectory is { } lib
                ? (LibTorchLocation.HasCuda ? $"(the libtorch in {lib} has CUDA, but it finds no GPU)" : $"(the libtorch in {lib} is a CPU build; ICL_LIBTORCH names a CUDA one)")
                : "(it runs on the CPU libtorch; the README's GPU section says how to run on a GPU)"));
        Device device;
        try { device = torch.device(name); }
        // Only a bad name: a native library that fails to load is reported as what it is.
        catch (Exception e) when (e is not (TypeInitializationException or DllNotFoundException or BadImageFormatException))
        { throw new ParameterException("device", $"{Printable.Escape(name)}: expected cpu, cuda or cuda:N"); }
        if (device.type is not (DeviceType.CPU or DeviceType.CUDA))
            throw new ParameterException("device", $"{name}: expected cpu, cuda or cuda:N");
        return device;
    }
}
