namespace InContext.Evaluation;

/// <summary>
/// The metrics of one config's seeds (the runs of a pack) as one file, so that tables, figures and
/// reports show the seeds' mean and how far the seeds lie apart, not one seed's luck. Each model's
/// entry becomes, position by position, the mean over the seeds of their means; its band
/// (<c>bootstrap_low</c>, <c>bootstrap_high</c>) spans the seeds, from the lowest seed's mean to the
/// highest; its <c>std</c> is the seeds' standard deviation (n − 1). An evaluation or model that not
/// every seed has is left out. With <c>withSeeds</c>, each seed's own entry of the models whose
/// numbers differ between seeds is kept beside the mean as <c>id@label</c> (the label saying
/// which seed or run, e.g. <c>transformer@seed 2</c>).
/// </summary>
public static class SeedSpread
{
    /// <summary>The separator of a model id and the label of the seed or run its entry is of: <c>transformer@seed 2</c>.</summary>
    public const string Mark = "@";

    /// <summary>The seeds' mean and spread of <paramref name="files"/> (one per seed or run, in the order of <paramref name="labels"/>, which <c>withSeeds</c> needs).</summary>
    public static MetricsFile Across(IReadOnlyList<MetricsFile> files, IReadOnlyList<string>? labels = null, bool withSeeds = false)
    {
        if (files.Count == 0) throw new ArgumentException("no metrics to combine", nameof(files));
        if (labels is not null && labels.Count != files.Count) throw new ArgumentException("one label per file", nameof(labels));
        var combined = new MetricsFile();
        foreach (var (evaluation, models) in files[0].Evaluations)
            foreach (var model in models.Keys)
            {
                var entries = files.Select(f => f.Evaluations.TryGetValue(evaluation, out var m) && m.TryGetValue(model, out var s) ? s : null).ToList();
                if (entries.Any(e => e is null)) continue;
                var stats = entries.Select(e => e!).ToList();
                combined.Set(evaluation, model, Combine(stats));
                if (withSeeds && labels is not null && stats.Skip(1).Any(s => !s.Mean.SequenceEqual(stats[0].Mean)))
                    for (var i = 0; i < stats.Count; i++) combined.Set(evaluation, $"{model}{Mark}{labels[i]}", stats[i]);
            }
        return combined;
    }

    /// <summary>How tables name the runs of <paramref name="seeds"/>: "seed S" when each has its own seed, else by <paramref name="names"/>.</summary>
    public static IReadOnlyList<string> Labels(IReadOnlyList<long> seeds, IReadOnlyList<string> names) =>
        seeds.Distinct().Count() == seeds.Count ? seeds.Select(s => $"seed {s}").ToList() : names;

    /// <summary>Several seeds' entries of one model as one: mean of means, the seeds' standard deviation, the band from the lowest to the highest.</summary>
    public static PositionStats Combine(IReadOnlyList<PositionStats> seeds)
    {
        var n = seeds.Min(s => s.Mean.Length);
        double[] Each(Func<double[], double> f) => Enumerable.Range(0, n).Select(k => f(seeds.Select(s => s.Mean[k]).ToArray())).ToArray();
        return new PositionStats(Each(v => v.Average()), Each(StandardDeviation), Each(v => v.Min()), Each(v => v.Max()),
            seeds.Count == 1 ? seeds[0].EvaluatedOn : null);
    }

    /// <summary>The sample standard deviation (n − 1) of <paramref name="values"/>; 0 for one value.</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
