namespace Backends.Benchmarking;

/// <summary>How long and how precisely each case is timed.</summary>
public sealed record BenchOptions
{
    /// <summary>Seconds of timed runs at least (unless the budget ends first).</summary>
    public double MinTime { get; init; } = 0.2;

    /// <summary>Seconds of timed runs at most: the budget per case.</summary>
    public double MaxTime { get; init; } = 2;

    /// <summary>Stop once the relative noise (<see cref="SampleStats.Noise"/>) is at or below this, after <see cref="MinTime"/> and <see cref="MinRuns"/>.</summary>
    public double NoiseBound { get; init; } = 0.03;

    /// <summary>
    /// Cold caches (the default): before every timed launch a flush buffer larger than the last-level cache is written on
    /// the stream (outside the timed events), so each launch reads its inputs from memory, as in a real model where the
    /// next layer's weights are not in cache. False: warm caches, and launches shorter than a millisecond are timed in
    /// batches between one pair of events.
    /// </summary>
    public bool Cold { get; init; } = true;

    /// <summary>Timed runs at least (fewer only when a single run exceeds the budget).</summary>
    public int MinRuns { get; init; } = 5;

    /// <summary>Timed runs at most.</summary>
    public int MaxRuns { get; init; } = 10_000;

    /// <summary>Check each case against the float64 reference before timing it (a failed case is reported, not timed).</summary>
    public bool Verify { get; init; } = true;

    /// <summary>Throws <see cref="System.ArgumentOutOfRangeException"/> for times or a noise bound that are negative or not finite, or run counts below 1.</summary>
    public void Validate()
    {
        Check(MinTime, nameof(MinTime));
        Check(MaxTime, nameof(MaxTime));
        Check(NoiseBound, nameof(NoiseBound));
        if (MinRuns < 1 || MaxRuns < MinRuns)
        {
            throw new System.ArgumentOutOfRangeException(nameof(MinRuns), $"Runs must satisfy 1 ≤ MinRuns ({MinRuns}) ≤ MaxRuns ({MaxRuns}).");
        }

        if (MaxTime < MinTime)
        {
            throw new System.ArgumentOutOfRangeException(nameof(MaxTime), MaxTime, $"The time limit must be at least the minimum time {MinTime} s.");
        }

        static void Check(double v, string name)
        {
            if (!double.IsFinite(v) || v < 0)
            {
                throw new System.ArgumentOutOfRangeException(name, v, $"{name} must be finite and ≥ 0.");
            }
        }
    }
}
