using System.Reflection;
using Xunit;
using Xunit.Sdk;
using static TorchSharp.torch;

[assembly: InContext.Tests.TensorScopePerTest]

namespace InContext.Tests;

/// <summary>
/// Runs every test inside a TorchSharp dispose scope. TorchSharp hands a tensor's native handle to
/// libtorch and keeps no reference to the tensor during the call, so a temporary that nothing else
/// holds (<c>xs.narrow(2, 3, 2).zero_()</c>) can be finalized by the GC while libtorch still works
/// on it. In this process that happens: test classes run in parallel, and training calls
/// <c>GC.Collect(0)</c> after every step. Caught twice in the test host's crash dumps (a segfault
/// in as_strided, one in zero_). The scope holds every tensor a test method makes until the test
/// ends (not those of a test class's constructor, which runs before). Scopes are per thread: this
/// holds for synchronous tests, which all of these are.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
sealed class TensorScopePerTest : BeforeAfterTestAttribute
{
    // From Before to After of the same test, as xunit runs them in one flow.
    static readonly AsyncLocal<DisposeScope?> Scope = new();

    public override void Before(MethodInfo methodUnderTest) => Scope.Value = NewDisposeScope();

    public override void After(MethodInfo methodUnderTest)
    {
        Scope.Value?.Dispose();
        Scope.Value = null;
    }
}

public class TensorScopePerTestTests
{
    [Fact]
    public void A_tensor_a_test_makes_is_held_by_the_tests_scope()
    {
        var statistics = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics;
        var (inScope, outside) = (statistics.CreatedInScopeCount, statistics.CreatedOutsideScopeCount);
        randn(3);
        Assert.Equal((inScope + 1, outside), (statistics.CreatedInScopeCount, statistics.CreatedOutsideScopeCount));
    }
}
