namespace InContext.Training;

/// <summary>
/// The time a training call has left, from the pace of its steps after the warm-up. A process's
/// first steps compile and allocate (JIT, libtorch's caches, CUDA graphs): a pace that counts them
/// overstates the time left several times over (41 minutes said at the first step of a run that
/// took 10). So the first <see cref="WarmUpSteps"/> steps of a call are not timed (as
/// <c>icl bench train</c> does), and there is no estimate until <see cref="MeasuredSteps"/> more
/// have been. Fed each step's count and clock (<see cref="StepReport"/>), nothing else.
/// </summary>
public sealed class TimeLeft
{
    /// <summary>Steps at the start of a call that are not timed.</summary>
    public const int WarmUpSteps = 10;

    /// <summary>Steps past the warm-up timed before the first estimate.</summary>
    public const int MeasuredSteps = 10;

    int? _doneBefore;
    (int Done, double Seconds)? _warm;
    (int Done, double Seconds) _last;

    /// <summary>Records a step: <paramref name="stepsDone"/> in the run so far (<see cref="StepReport.StepsDone"/>), <paramref name="elapsedSeconds"/> since the call began.</summary>
    public void Add(int stepsDone, double elapsedSeconds)
    {
        _doneBefore ??= stepsDone - 1;   // a resumed run's call starts past step 0
        if (_warm is null && stepsDone - _doneBefore >= WarmUpSteps) _warm = (stepsDone, elapsedSeconds);
        _last = (stepsDone, elapsedSeconds);
    }

    /// <summary>Steps per second since the warm-up; null until <see cref="MeasuredSteps"/> steps past it are timed.</summary>
    public double? StepsPerSecond =>
        _warm is { } w && _last.Done - w.Done >= MeasuredSteps && _last.Seconds > w.Seconds
            ? (_last.Done - w.Done) / (_last.Seconds - w.Seconds) : null;

    /// <summary>Seconds until <paramref name="totalSteps"/> are done at the pace since the warm-up; null while there is none.</summary>
    public double? SecondsLeft(int totalSteps) => StepsPerSecond is { } pace ? Math.Max(totalSteps - _last.Done, 0) / pace : null;
}
