using InContext.Tasks;
using InContext.Storage;

namespace InContext.Config;

/// <summary>The config of a run folder, and the function class a config trains on.</summary>
public static class RunFolderConfig
{
    /// <summary>The run's resolved config; a folder without one is refused with its path.</summary>
    public static RunConfig LoadConfig(this RunFolder run) =>
        run.HasConfig ? RunConfig.Load(run.ConfigPath)
        : throw new InputException(Directory.Exists(run.Path) ? $"{run.Path}: not a run folder (no config.yaml)" : $"{run.Path}: run folder not found");

    /// <summary>The function class of the config's <c>training.task</c> and <c>task_kwargs</c> at <c>model.n_dims</c>.</summary>
    public static FunctionClass CreateTask(this RunConfig config) =>
        TaskRegistry.Create(config.Training.Task, new Yaml.Section(config.Source, "training.task_kwargs", config.Training.TaskKwargs), config.Model.NDims);

    /// <summary>
    /// The fixed pool of <c>num_tasks</c> functions the run trains on, drawn from its seed alone
    /// (null without <c>num_tasks</c>): training and the pool's Bayes estimator (dMMSE) see the same pool.
    /// </summary>
    public static FunctionPool? CreateTaskPool(this RunConfig config, FunctionClass task) =>
        config.Training.NumTasks is { } n ? new FunctionPool(task, n, Seeds.FunctionPool(config.Training.Seed)) : null;
}
