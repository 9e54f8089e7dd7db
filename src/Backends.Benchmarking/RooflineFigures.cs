using System;

namespace Backends.Benchmarking;

/// <summary>A device's measured roofs: the FMA-bound compute peak and the copy bandwidth (bytes read + written).</summary>
public sealed record RooflineFigures
{
    /// <summary>The device id.</summary>
    public required string DeviceId { get; init; }

    /// <summary>The device name.</summary>
    public required string DeviceName { get; init; }

    /// <summary>The driver or runtime version the figures belong to.</summary>
    public string Driver { get; init; } = string.Empty;

    /// <summary>F32 peak in GFLOP/s (an FMA counts as two), or NaN when the device has no peak kernel.</summary>
    public double PeakGflops { get; init; } = double.NaN;

    /// <summary>
    /// The compute roof of BF16 matrix products (gemm, grouped-gemm) as a multiple of <see cref="PeakGflops"/>
    /// (<see cref="IPeakProbe.Bf16MatmulPeakFactor"/>: 2 on a CPU with VDPBF16PS kernels, else 1).
    /// </summary>
    public double Bf16MatmulPeakFactor { get; init; } = 1;

    /// <summary>Memory bandwidth in GB/s (10⁹ bytes per second), bytes read plus bytes written: the better of a large device copy and a STREAM-style add.</summary>
    public double BandwidthGBs { get; init; } = double.NaN;

    /// <summary>Size of each buffer of the copy, in bytes.</summary>
    public long CopyBytes { get; init; }

    /// <summary>When the figures were measured (UTC).</summary>
    public DateTime MeasuredUtc { get; init; }

    /// <summary>The ridge point: arithmetic intensity (FLOP/byte) where the two roofs meet.</summary>
    public double Ridge => PeakGflops / BandwidthGBs;

    /// <summary>The attainable GFLOP/s at an arithmetic intensity: min(peak, intensity × bandwidth).</summary>
    /// <param name="flopsPerByte">FLOPs per byte moved.</param>
    /// <returns>GFLOP/s.</returns>
    public double Attainable(double flopsPerByte) => Math.Min(PeakGflops, flopsPerByte * BandwidthGBs);
}
