using System.Diagnostics;
using System.Runtime.InteropServices;
using InContext.Training;
using Spectre.Console;

namespace InContext.Cli;

/// <summary>How a training command ended.</summary>
enum TrainingOutcome { Finished, Interrupted, Terminated }

/// <summary>
/// Training progress on the console: a live bar on a terminal; in a log (CI, a pipe, a batch
/// job) a plain line at the first step, at the first with a time estimate (<see cref="TimeLeft"/>:
/// after the warm-up), at least every <see cref="LogSeconds"/> seconds and at the last. Ctrl+C and SIGTERM (a scheduler's preemption or time limit) both stop training at
/// the end of the current step and save it.
/// </summary>
static class ConsoleProgress
{
    public const double LogSeconds = 30;

    public static TrainingOutcome Train(Trainer trainer, int? totalSteps, string title)
    {
        var total = totalSteps ?? trainer.Config.Training.TrainSteps;
        using var cancel = new CancellationTokenSource();
        var terminated = false;
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; terminated = true; cancel.Cancel(); });
        try
        {
            if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            {
                var sinceLine = Stopwatch.StartNew();
                var (first, estimated) = (true, false);
                var left = new TimeLeft();
                trainer.Train(total, r =>
                {
                    left.Add(r.StepsDone, r.ElapsedSeconds);
                    var firstEstimate = !estimated && left.StepsPerSecond is not null;
                    if (first || firstEstimate || r.StepsDone == r.TotalSteps || sinceLine.Elapsed.TotalSeconds >= LogSeconds)
                    {
                        Console.WriteLine(Describe(r, left));
                        sinceLine.Restart();
                        first = false;
                        estimated |= firstEstimate;
                    }
                }, cancel.Token);
                return Finished(trainer, cancel, terminated);
            }
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: total);
                    task.Value = trainer.NextStep;
                    var left = new TimeLeft();
                    trainer.Train(total, r =>
                    {
                        left.Add(r.StepsDone, r.ElapsedSeconds);
                        task.Value = r.StepsDone;
                        task.Description = Markup.Escape(Describe(r, left));
                    }, cancel.Token);
                });
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        return Finished(trainer, cancel, terminated);
    }

    static TrainingOutcome Finished(Trainer trainer, CancellationTokenSource cancel, bool terminated)
    {
        if (!cancel.IsCancellationRequested) return TrainingOutcome.Finished;
        Console.WriteLine($"Stopped by {(terminated ? "SIGTERM" : "Ctrl+C")} at step {trainer.NextStep}; "
                          + (trainer.Run is null ? "a test run writes nothing, so there is nothing to resume." : "state.pt saved. Run the same command to resume."));
        return terminated ? TrainingOutcome.Terminated : TrainingOutcome.Interrupted;
    }

    static string Describe(StepReport r, TimeLeft left) =>
        $"step {r.StepsDone}/{r.TotalSteps}  loss {r.Loss:F4}  excess {r.ExcessLoss:F3}  points {r.NPoints} dims {r.NDims}  "
        + (left.StepsPerSecond is { } pace ? $"{pace:F1} steps/s  {Left(left.SecondsLeft(r.TotalSteps)!.Value)} left"
           : r.StepsDone == r.TotalSteps ? $"{r.StepsPerSecond:F1} steps/s" : "warming up, time left to follow");

    /// <summary>Time left as h:mm:ss, with days beyond 24 hours (2d 03:04:05).</summary>
    public static string Left(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.MaxValue.TotalSeconds / 2));
        return t.Days > 0 ? $"{t.Days}d {t:hh\\:mm\\:ss}" : $"{t:hh\\:mm\\:ss}";
    }
}
