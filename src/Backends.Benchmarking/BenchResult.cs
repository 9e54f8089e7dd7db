using System.Collections.Generic;

namespace Backends.Benchmarking;

/// <summary>One timed case: what ran, how long it took, what that means against the device's roofs.</summary>
public sealed record BenchResult
{
    /// <summary>Device id.</summary>
    public required string Device { get; init; }

    /// <summary>Op name.</summary>
    public required string Op { get; init; }

    /// <summary>Kernel variant ("ours", "clblast", ...).</summary>
    public required string Variant { get; init; }

    /// <summary>Data type.</summary>
    public required string DType { get; init; }

    /// <summary>The shape, as text (axis=value ...).</summary>
    public required string Shape { get; init; }

    /// <summary>What the case stands for.</summary>
    public string Label { get; init; } = string.Empty;

    /// <summary>FLOPs per launch.</summary>
    public double Flops { get; init; }

    /// <summary>Bytes moved per launch (inputs once, outputs once).</summary>
    public double Bytes { get; init; }

    /// <summary>Whether the outputs matched the float64 reference (sampled for very large cases).</summary>
    public bool Passed { get; init; }

    /// <summary>The check's summary or failure.</summary>
    public string Check { get; init; } = string.Empty;

    /// <summary>Timed runs.</summary>
    public int Runs { get; init; }

    /// <summary>Median time, ms.</summary>
    public double MedianMs { get; init; } = double.NaN;

    /// <summary>Fastest time, ms.</summary>
    public double MinMs { get; init; } = double.NaN;

    /// <summary>Slowest time, ms.</summary>
    public double MaxMs { get; init; } = double.NaN;

    /// <summary>Mean time, ms.</summary>
    public double MeanMs { get; init; } = double.NaN;

    /// <summary>Whether caches were flushed before each timed launch.</summary>
    public bool Cold { get; init; }

    /// <summary>Launches per timed sample (more than 1 only for short kernels with warm caches).</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Relative noise (1.4826·MAD / median).</summary>
    public double Noise { get; init; } = double.NaN;

    /// <summary>Every timed sample, ms (for re-analysis).</summary>
    public IReadOnlyList<double> SamplesMs { get; init; } = [];

    /// <summary>GFLOP/s at the median time.</summary>
    public double Gflops => MedianMs > 0 ? Flops / MedianMs / 1e6 : double.NaN;

    /// <summary>GB/s at the median time.</summary>
    public double GBs => MedianMs > 0 ? Bytes / MedianMs / 1e6 : double.NaN;

    /// <summary>Arithmetic intensity, FLOPs per byte.</summary>
    public double Intensity => Bytes > 0 ? Flops / Bytes : double.NaN;

    /// <summary>"compute" or "memory": which roof bounds this case on its device; empty without roofs.</summary>
    public string Bound { get; init; } = string.Empty;

    /// <summary>Achieved fraction of the roof that applies, in percent; NaN without roofs.</summary>
    public double RooflinePercent { get; init; } = double.NaN;
}
