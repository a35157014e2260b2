using InContext.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace InContext.Tests.Reliability;

/// <summary>
/// TorchSharp hands libtorch a tensor's handle and keeps no reference to the tensor during the
/// call: a temporary that nothing holds can be finalized by a GC on another thread while libtorch
/// still reads it, which crashes the process (a segfault, or glibc's "corrupted double-linked
/// list"). Library code therefore makes its temporaries inside a dispose scope. A test here runs
/// a library call over and over on a thread of its own, outside any scope (as a user's program or
/// notebook would), while another thread collects garbage without pause. Before the fix the
/// sampler's <c>narrow(..).zero_()</c> crashed the test host within 6 s in each of 3 runs here,
/// once with "corrupted double-linked list". (The checkpoint reader's race, fixed the same way,
/// took 10–25 s of this to show: too long for a test.)
/// </summary>
[Collection(Alone)]
public class GarbageCollectionRaceTests
{
    /// <summary>
    /// Runs after the parallel tests, on its own: its collections without pause would slow them,
    /// and would expose them to the race a dispose scope does not cover (implicit Scalars).
    /// </summary>
    public const string Alone = "garbage collection stress, alone";

    /// <summary>Runs <paramref name="body"/> for <paramref name="seconds"/> on a fresh thread (no dispose scope) while another thread collects; returns the calls made.</summary>
    static int UnderCollection(Action body, double seconds = 6)
    {
        var done = 0;
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        });
        var calls = 0;
        Exception? failure = null;
        var worker = new Thread(() =>
        {
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (clock.Elapsed.TotalSeconds < seconds) { body(); calls++; }
            }
            catch (Exception e) { failure = e; }
        });
        collector.Start();
        worker.Start();
        worker.Join();
        Volatile.Write(ref done, 1);
        collector.Join();
        if (failure != null) throw failure;
        return calls;
    }

    [Fact]
    public void Sampling_inputs_with_inactive_dims_survives_collections_during_its_native_calls()
    {
        var sampler = new GaussianSampler(20);
        var calls = UnderCollection(() =>
        {
            using var g = new Generator(1);
            using var xs = sampler.Sample(41, 64, g, 5);
            using (NewDisposeScope()) Assert.Equal(0, xs.narrow(2, 5, 15).abs().sum().ToDouble());   // the check's own temporaries held
        });
        Assert.True(calls > 0);
    }
}

/// <summary>The collection of <see cref="GarbageCollectionRaceTests"/>: no other test runs beside it.</summary>
[CollectionDefinition(GarbageCollectionRaceTests.Alone, DisableParallelization = true)]
public class GarbageCollectionStressAlone;
