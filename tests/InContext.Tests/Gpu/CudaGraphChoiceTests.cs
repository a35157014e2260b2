using InContext.Training;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Gpu;

/// <summary>
/// What a CUDA run decides about graphs before its first step, checked where no GPU is: the shim
/// that is missing or no library (one line naming the file and the loader's reason), --cuda-graphs
/// off and auto (eager steps, never an error), and a resumed Adam state whose parameters are at
/// different steps (auto trains eagerly; on refuses in one line naming the state).
/// </summary>
public class CudaGraphChoiceTests : IDisposable
{
    readonly string _dir = TestPaths.TempDir();
    readonly Parameter[] _parameters = { new(zeros(3, 2)), new(zeros(4)) };
    readonly Adam _adam;
    readonly FlatAdam _update;

    public CudaGraphChoiceTests()
    {
        _adam = optim.Adam(_parameters, lr: 0.01);
        _update = new FlatAdam(_adam, _parameters);
    }

    public void Dispose()
    {
        _update.Dispose();
        _adam.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    string Missing => Path.Combine(_dir, "libIclCudaGraphs.so");

    string NotALibrary()
    {
        var path = Path.Combine(_dir, "not-a-library.so");
        // Longer than an ELF header, so that the loader reads it and finds no ELF magic.
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("this is text, not an ELF shared object\n", 10)));
        return path;
    }

    /// <summary>Puts the second parameter at another Adam step, as a loaded state lacking its moments leaves it.</summary>
    void StepsDisagree() => ((Adam.State)_adam.state_dict().State[1]).step = 4;

    [Fact]
    public void Off_trains_eagerly_without_looking_for_the_shim()
    {
        Assert.False(GraphedSteps.Choose(false, _update, null, NotALibrary()));
    }

    [Fact]
    public void Auto_trains_eagerly_when_the_shim_is_not_there()
    {
        Assert.False(GraphedSteps.Choose(null, _update, null, Missing));
    }

    [Fact]
    public void On_without_the_shim_is_one_line_naming_the_file()
    {
        var e = Assert.Throws<InputException>(() => GraphedSteps.Choose(true, _update, null, Missing));
        Assert.StartsWith($"{Missing}: no such file", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_shim_that_is_no_library_is_one_line_with_the_loaders_reason()
    {
        var path = NotALibrary();
        foreach (bool? asked in new bool?[] { true, null })
        {
            var e = Assert.Throws<InputException>(() => GraphedSteps.Choose(asked, _update, null, path));
            Assert.StartsWith($"{path}: cannot load it (", e.Message);
            Assert.True(e.Message.Contains("invalid ELF header"), e.Message);   // dlerror's own words
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void Steps_agree_in_a_fresh_or_uniformly_loaded_state_and_stay_apart_once_apart()
    {
        Assert.True(_update.StepsAgree);
        foreach (Adam.State s in _adam.state_dict().State) s.step = 7;
        Assert.True(_update.StepsAgree);
        StepsDisagree();
        Assert.False(_update.StepsAgree);
        _update.ZeroGrad();
        _update.Step();
        Assert.False(_update.StepsAgree);
    }

    [Fact]
    public void Parameters_at_different_Adam_steps_train_eagerly_on_auto_and_are_refused_on_on()
    {
        StepsDisagree();
        // Auto decides before it loads anything: this shim would fail to load if it were tried.
        Assert.False(GraphedSteps.Choose(null, _update, "runs/x/state.pt", NotALibrary()));
        var e = Assert.Throws<InputException>(() => GraphedSteps.Choose(true, _update, "runs/x/state.pt", Missing));
        Assert.StartsWith("runs/x/state.pt: its Adam state has parameters at different steps", e.Message);
        Assert.Contains("--cuda-graphs off", e.Message);
    }
}
