using InContext.Training;
using Spectre.Console;

namespace InContext.Cli;

/// <summary>Training progress on the console: a live bar on a terminal, plain lines otherwise (CI, pipes).</summary>
static class ConsoleProgress
{
    /// <summary>Trains to the end; false when the user stopped it (Ctrl+C).</summary>
    public static bool Train(Trainer trainer, int? totalSteps, string title)
    {
        var total = totalSteps ?? trainer.Config.Training.TrainSteps;
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            {
                trainer.Train(total, r =>
                {
                    if (r.Logged && (r.Step % Math.Max(r.TotalSteps / 20, 1) < trainer.Config.Wandb.LogEverySteps || r.Step == r.TotalSteps - 1))
                        Console.WriteLine(Describe(r));
                }, cancel.Token);
                return Finished(trainer, cancel);
            }
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(title, maxValue: total);
                    task.Value = trainer.NextStep;
                    trainer.Train(total, r =>
                    {
                        task.Value = r.Step + 1;
                        task.Description = Markup.Escape(Describe(r));
                    }, cancel.Token);
                });
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        return Finished(trainer, cancel);
    }

    static bool Finished(Trainer trainer, CancellationTokenSource cancel)
    {
        if (!cancel.IsCancellationRequested) return true;
        Console.WriteLine($"Stopped at step {trainer.NextStep}; state.pt saved. Run the same command to resume.");
        return false;
    }

    static string Describe(StepReport r) =>
        $"step {r.Step + 1}/{r.TotalSteps}  loss {r.Loss:F4}  excess {r.ExcessLoss:F3}  points {r.NPoints} dims {r.NDims}  {r.StepsPerSecond:F1} steps/s  {TimeSpan.FromSeconds((r.TotalSteps - r.Step - 1) / Math.Max(r.StepsPerSecond, 1e-9)):hh\\:mm\\:ss} left";
}
