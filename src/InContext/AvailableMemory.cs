namespace InContext;

/// <summary>The memory this process may use, and sizes as the memory estimates' messages show them.</summary>
public static class AvailableMemory
{
    /// <summary>What this process may allocate: the machine's memory, or its container's limit.</summary>
    public static long Bytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>A size in round words: <c>0.08 GB</c>, <c>640 GB</c>, <c>1.2 TB</c>.</summary>
    public static string Format(double bytes) => bytes >= 1e12 ? $"{bytes / 1e12:G3} TB" : $"{bytes / 1e9:0.##} GB";
}
