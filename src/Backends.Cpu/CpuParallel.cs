using System;
using System.Threading.Tasks;

namespace Backends.Cpu;

/// <summary>Splits index ranges over cores; small ranges run inline so tiny ops pay no scheduling cost.</summary>
internal static class CpuParallel
{
    private static readonly ParallelOptions Options = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    [ThreadStatic]
    private static bool t_serial;

    /// <summary>
    /// Whether work on this thread runs inline: set while one of several independent pieces runs on each core (the
    /// experts of a grouped GEMM), so a piece does not fan out again.
    /// </summary>
    public static bool Serial
    {
        get => t_serial;
        set => t_serial = value;
    }

    /// <summary>Cores a kernel on this thread may use: 1 inside <see cref="Serial"/> work, else every core.</summary>
    public static int Workers => t_serial ? 1 : Environment.ProcessorCount;

    /// <summary>Runs <paramref name="body"/> over [0, count) in chunks of at least <paramref name="grain"/> indices.</summary>
    public static void For(long count, long grain, Action<long, long> body)
    {
        if (count <= 0)
        {
            return;
        }

        grain = Math.Max(1, grain);
        int workers = Workers;
        if (count <= grain || workers == 1)
        {
            body(0, count);
            return;
        }

        // A few chunks per worker balance uneven progress without paying per-index overhead.
        long chunks = Math.Min((count + grain - 1) / grain, (long)workers * 4);
        long size = (count + chunks - 1) / chunks;
        chunks = (count + size - 1) / size;
        Parallel.For(0, chunks, Options, c =>
        {
            long start = c * size;
            body(start, Math.Min(count, start + size));
        });
    }
}
