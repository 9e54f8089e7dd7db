using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace Backends.Cpu;

/// <summary>
/// Splits index ranges over cores with the backend's own workers; small ranges run inline so tiny ops pay no
/// scheduling cost.
/// </summary>
/// <remarks>
/// <para>
/// One helper thread per core beyond the caller's. The caller publishes a job and works on it too; chunks are claimed
/// one at a time, so a helper that arrives late only takes what is left. After a job a helper spins for
/// <see cref="SpinMicroseconds"/> (1000 µs by default, <c>BACKENDS_CPU_SPIN_US</c>, 0 to park at once) before it
/// blocks, as OpenMP runtimes and OpenBLAS do: a thread blocked on a sleeping core takes long to wake — measured in
/// the 2-core VM this was written on, .NET's thread pool started the second worker of a parallel loop a median 100 µs
/// late and 2 ms late in one call of ten, after the process had been idle a millisecond or more, so ops of about a
/// millisecond ran on one core. Back-to-back ops (a model's layers) find the helpers awake.
/// </para>
/// <para>
/// A second caller while a job runs (another stream, or a kernel nested in one) uses .NET's thread pool instead.
/// </para>
/// </remarks>
internal static class CpuParallel
{
    private static readonly ParallelOptions Options = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>How long a helper spins for the next job before it blocks.</summary>
    internal static readonly int SpinMicroseconds = ReadSpin();

    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    private static readonly SemaphoreSlim Wake = new(0);

    private static readonly object StartGate = new();

    [ThreadStatic]
    private static bool t_serial;

    private static Job? s_job;

    private static long s_generation;

    private static int s_parked;

    private static int s_busy;

    private static bool s_started;

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

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) in chunks of at least <paramref name="grain"/> indices, at most
    /// <paramref name="chunksPerWorker"/> per worker (more balance a worker slowed by its neighbours better, fewer
    /// keep each worker's stretch of memory longer).
    /// </summary>
    public static void For(long count, long grain, Action<long, long> body, int chunksPerWorker = 4)
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
        long chunks = Math.Min((count + grain - 1) / grain, (long)workers * Math.Max(1, chunksPerWorker));
        long size = (count + chunks - 1) / chunks;
        Run(count, size, body);
    }

    /// <summary>
    /// Runs <paramref name="body"/> once for each index in [0, count), each index claimed on its own by whichever
    /// worker is free (independent pieces of uneven size: the parts of a GEMM grid, the experts of a grouped GEMM).
    /// </summary>
    public static void Each(int count, Action<int> body)
    {
        if (count <= 0)
        {
            return;
        }

        if (count == 1 || Workers == 1)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Run(count, 1, (s, e) =>
        {
            for (long i = s; i < e; i++)
            {
                body((int)i);
            }
        });
    }

    private static void Run(long count, long size, Action<long, long> body)
    {
        long chunks = (count + size - 1) / size;
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            // The helpers serve another job: the thread pool takes this one.
            try
            {
                Parallel.For(0, chunks, Options, c =>
                {
                    long start = c * size;
                    body(start, Math.Min(count, start + size));
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }

            return;
        }

        try
        {
            StartHelpers();
            var job = new Job(body, count, size, chunks);
            Volatile.Write(ref s_job, job);
            Interlocked.Increment(ref s_generation);
            int parked = Volatile.Read(ref s_parked);
            if (parked > 0)
            {
                Wake.Release(parked);
            }

            job.Work();

            // Wait for chunks a helper has claimed and not finished (it is running: a short wait).
            var spinner = default(SpinWait);
            while (Volatile.Read(ref job.Done) < chunks)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            if (job.Error is { } error)
            {
                ExceptionDispatchInfo.Capture(error).Throw();
            }
        }
        finally
        {
            // No helper is inside the job now; drop it so its closure (and what that holds) is not kept alive.
            Volatile.Write(ref s_job, null);
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static void StartHelpers()
    {
        if (Volatile.Read(ref s_started))
        {
            return;
        }

        lock (StartGate)
        {
            if (s_started)
            {
                return;
            }

            for (int i = 1; i < Environment.ProcessorCount; i++)
            {
                new Thread(Helper) { IsBackground = true, Name = string.Create(CultureInfo.InvariantCulture, $"backends-cpu-worker-{i}") }.Start();
            }

            Volatile.Write(ref s_started, true);
        }
    }

    private static void Helper()
    {
        long seen = Volatile.Read(ref s_generation);
        while (true)
        {
            long idleSince = Stopwatch.GetTimestamp();
            int spins = 0;
            while (Volatile.Read(ref s_generation) == seen)
            {
                if (Stopwatch.GetTimestamp() - idleSince < SpinTicks)
                {
                    Thread.SpinWait(16);
                    if ((++spins & 63) == 0)
                    {
                        Thread.Yield();
                    }

                    continue;
                }

                // Park. A publisher reads s_parked after moving the generation, so either it sees this helper parked
                // and releases it, or this re-check sees the new generation.
                Interlocked.Increment(ref s_parked);
                if (Volatile.Read(ref s_generation) == seen)
                {
                    Wake.Wait();
                }

                Interlocked.Decrement(ref s_parked);
                idleSince = Stopwatch.GetTimestamp();
            }

            seen = Volatile.Read(ref s_generation);
            Volatile.Read(ref s_job)?.Work();
        }
    }

    private static int ReadSpin()
    {
        string? text = Environment.GetEnvironmentVariable("BACKENDS_CPU_SPIN_US");
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int us) && us >= 0 ? Math.Min(us, 1_000_000) : 1000;
    }

    /// <summary>One parallel loop: chunks of <c>size</c> indices claimed one at a time by any worker.</summary>
    private sealed class Job(Action<long, long> body, long count, long size, long chunks)
    {
        public long Done;

        private long _next;

        public Exception? Error;

        /// <summary>Claims and runs chunks until none is left; after a failure the rest are claimed and skipped.</summary>
        public void Work()
        {
            while (true)
            {
                long c = Interlocked.Increment(ref _next) - 1;
                if (c >= chunks)
                {
                    return;
                }

                if (Volatile.Read(ref Error) is null)
                {
                    try
                    {
                        long start = c * size;
                        body(start, Math.Min(count, start + size));
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref Error, e, null);
                    }
                }

                Interlocked.Increment(ref Done);
            }
        }
    }
}
