using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace InContext.Interop;

/// <summary>
/// The <c>train_step</c> of a <c>state.pt</c> without loading its tensors: a sweep's status reads
/// it for every run, and a standard model's state is over 100 MB. Reads only the pickle
/// (<c>data.pkl</c>, a few KB) of torch.save's zip and finds the key's integer there; a file it
/// cannot read this way is read whole (<see cref="PyTorchCheckpoint.Read"/>).
/// </summary>
public static class CheckpointStep
{
    static readonly byte[] Key = Encoding.ASCII.GetBytes("train_step");

    /// <summary>The largest <c>train_step</c> a state may hold: the next step, one more, must still be an index.</summary>
    public const int MaxStep = int.MaxValue - 1;

    /// <summary><paramref name="step"/> as a state's last finished step, or one line naming <paramref name="path"/> when it cannot be one (negative, or past <see cref="MaxStep"/>).</summary>
    public static int Checked(string path, long step) =>
        step is >= 0 and <= MaxStep ? (int)step
            : throw new InputException($"{path}: train_step: expected a whole number from 0 to {MaxStep}, found {step}");

    /// <summary>The state's last finished step; null for a bare model file without one.</summary>
    public static int? Read(string statePath)
    {
        if (TryPeek(statePath) is { } step) return Checked(statePath, step);
        using var contents = PyTorchCheckpoint.Read(statePath);
        return contents.TrainStep;
    }

    /// <summary>The step from the pickle alone, or null when the file is not laid out as expected.</summary>
    public static long? TryPeek(string statePath)
    {
        try
        {
            using var zip = ZipFile.OpenRead(statePath);
            var entry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl");
            if (entry is null || entry.Length > 16 << 20) return null;
            using var stream = entry.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return Find(memory.ToArray());
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// The integer pickled right after the string <c>train_step</c> (protocol 2's <c>X</c> or
    /// protocol 4's <c>\x8c</c>), past an optional memo opcode: BININT1, BININT2, BININT or LONG1.
    /// </summary>
    static long? Find(byte[] p)
    {
        for (var at = p.AsSpan().IndexOf(Key); at >= 0;)
        {
            var isKey = at >= 5 && p[at - 5] == (byte)'X' && BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(at - 4)) == Key.Length
                        || at >= 2 && p[at - 2] == 0x8c && p[at - 1] == Key.Length;
            var i = at + Key.Length;
            if (isKey && i < p.Length)
            {
                // memo: BINPUT n, LONG_BINPUT nnnn, MEMOIZE
                if (p[i] == (byte)'q') i += 2;
                else if (p[i] == (byte)'r') i += 5;
                else if (p[i] == 0x94) i += 1;
                if (i < p.Length)
                {
                    var op = p[i];
                    if (op == (byte)'K' && i + 1 < p.Length) return p[i + 1];
                    if (op == (byte)'M' && i + 2 < p.Length) return BinaryPrimitives.ReadUInt16LittleEndian(p.AsSpan(i + 1));
                    if (op == (byte)'J' && i + 4 < p.Length) return BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(i + 1));
                    if (op == 0x8a && i + 1 < p.Length && p[i + 1] is > 0 and <= 8 && i + 1 + p[i + 1] < p.Length)
                    {
                        var n = p[i + 1];
                        var value = 0L;
                        for (var b = n - 1; b >= 0; b--) value = (value << 8) | p[i + 2 + b];
                        if ((p[i + 1 + n] & 0x80) != 0) value -= 1L << (8 * n);   // two's complement
                        return value;
                    }
                }
                return null;
            }
            var next = p.AsSpan(at + 1).IndexOf(Key);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return null;
    }
}
