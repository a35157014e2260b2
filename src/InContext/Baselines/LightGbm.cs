using System.Runtime.InteropServices;

namespace InContext.Baselines;

/// <summary>
/// A LightGBM booster trained on one small data set, through LightGBM's C API
/// (<c>lib_lightgbm.so</c> from the LightGBM NuGet package). Owns the native dataset and booster.
/// </summary>
public sealed class LightGbmRegressor : IDisposable
{
    IntPtr dataset, booster;
    readonly int features;

    /// <summary>
    /// Builds the data set from row-major <paramref name="x"/> (<c>rows × features</c>) and
    /// <paramref name="y"/>, creates a booster with <paramref name="parameters"/> (LightGBM's
    /// <c>key=value</c> string, also used for binning) and runs up to <paramref name="rounds"/>
    /// boosting iterations, fewer if LightGBM finds nothing left to split.
    /// </summary>
    public LightGbmRegressor(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int rows, int features, string parameters, int rounds)
    {
        if (x.Length != rows * features || y.Length != rows)
            throw new ArgumentException($"expected {rows}×{features} inputs and {rows} labels, got {x.Length} and {y.Length}");
        this.features = features;
        var labels = new float[rows];
        for (int r = 0; r < rows; r++) labels[r] = (float)y[r];
        try
        {
            Check(Native.LGBM_DatasetCreateFromMat(MemoryMarshal.GetReference(x), Native.Float64, rows, features, 1, parameters, IntPtr.Zero, out dataset));
            Check(Native.LGBM_DatasetSetField(dataset, "label", labels, rows, Native.Float32));
            Check(Native.LGBM_BoosterCreate(dataset, parameters, out booster));
            for (int round = 0; round < rounds; round++)
            {
                Check(Native.LGBM_BoosterUpdateOneIter(booster, out int finished));
                Rounds++;
                if (finished != 0) break;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Boosting iterations run (LightGBM stops early when no leaf can be split).</summary>
    public int Rounds { get; }

    /// <summary>Predictions for row-major <paramref name="x"/> (<c>rows × features</c>).</summary>
    public double[] Predict(ReadOnlySpan<double> x)
    {
        ObjectDisposedException.ThrowIf(booster == IntPtr.Zero, this);
        int rows = x.Length / features;
        var result = new double[rows];
        Check(Native.LGBM_BoosterPredictForMat(booster, MemoryMarshal.GetReference(x), Native.Float64, rows, features, 1,
            Native.PredictNormal, 0, -1, "num_threads=1", out long length, result));
        if (length != rows) throw new InvalidOperationException($"LightGBM returned {length} predictions for {rows} rows");
        return result;
    }

    /// <summary>Frees the native booster and data set.</summary>
    public void Dispose()
    {
        if (booster != IntPtr.Zero) { Native.LGBM_BoosterFree(booster); booster = IntPtr.Zero; }
        if (dataset != IntPtr.Zero) { Native.LGBM_DatasetFree(dataset); dataset = IntPtr.Zero; }
    }

    static void Check(int status)
    {
        if (status != 0)
            throw new InvalidOperationException($"LightGBM: {Marshal.PtrToStringUTF8(Native.LGBM_GetLastError())}");
    }

    /// <summary>The few entry points of LightGBM's c_api.h used here.</summary>
    static class Native
    {
        const string Library = "lib_lightgbm";
        public const int Float32 = 0, Float64 = 1;   // C_API_DTYPE_FLOAT32 / _FLOAT64
        public const int PredictNormal = 0;          // C_API_PREDICT_NORMAL

        [DllImport(Library)] public static extern IntPtr LGBM_GetLastError();

        [DllImport(Library)]
        public static extern int LGBM_DatasetCreateFromMat(in double data, int dataType, int rows, int columns, int isRowMajor,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string parameters, IntPtr reference, out IntPtr dataset);

        [DllImport(Library)]
        public static extern int LGBM_DatasetSetField(IntPtr dataset, [MarshalAs(UnmanagedType.LPUTF8Str)] string field,
            float[] data, int count, int type);

        [DllImport(Library)] public static extern int LGBM_DatasetFree(IntPtr dataset);

        [DllImport(Library)]
        public static extern int LGBM_BoosterCreate(IntPtr dataset, [MarshalAs(UnmanagedType.LPUTF8Str)] string parameters, out IntPtr booster);

        [DllImport(Library)] public static extern int LGBM_BoosterUpdateOneIter(IntPtr booster, out int isFinished);

        [DllImport(Library)]
        public static extern int LGBM_BoosterPredictForMat(IntPtr booster, in double data, int dataType, int rows, int columns,
            int isRowMajor, int predictType, int startIteration, int numIteration,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string parameters, out long outLength, [Out] double[] result);

        [DllImport(Library)] public static extern int LGBM_BoosterFree(IntPtr booster);
    }
}
