using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Backends.Conformance;

namespace Backends.Benchmarking;

/// <summary>
/// Times one case honestly: inputs on the device, outputs checked against the float64 reference first, warmed up until
/// timings settle (program builds, first touch and JIT tiering all land there), then launches timed between two device
/// events until the relative noise is under the bound or the time budget ends.
/// </summary>
public static class BenchRunner
{
    /// <summary>Runs one case.</summary>
    /// <param name="device">The device.</param>
    /// <param name="stream">A stream of the device.</param>
    /// <param name="variant">The kernel variant.</param>
    /// <param name="item">The preset entry (op, shape, label).</param>
    /// <param name="opCase">The built case (seeded inputs).</param>
    /// <param name="roof">The device's roofs, for % of roofline; null to skip.</param>
    /// <param name="options">Timing options.</param>
    /// <param name="flush">With <see cref="BenchOptions.Cold"/>: an F32 buffer on the device larger than its last-level cache, written before each timed launch.</param>
    /// <returns>The result; a failed check is reported with no timings.</returns>
    public static BenchResult Run(Device device, DeviceStream stream, string variant, BenchItem item, OpCase opCase, RooflineFigures? roof, BenchOptions options, TensorView? flush = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(opCase);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(item);
        IKernels kernels = device.GetVariant(variant);
        var result = new BenchResult
        {
            Device = device.Id,
            Op = opCase.Spec.Name,
            Variant = variant,
            DType = opCase.DType.ToShortName(),
            Shape = opCase.Shape.ToString(),
            Label = item.Label,
            Flops = opCase.Flops,
            Bytes = opCase.BytesMoved,
        };

        using OpRun run = opCase.Prepare(device, stream);
        run.Launch(stream, kernels);
        if (options.Verify)
        {
            CheckResult check = run.Verify(stream);
            if (!check.Passed)
            {
                return result with { Passed = false, Check = check.Detail };
            }

            result = result with { Passed = true, Check = check.ToString() };
        }
        else
        {
            stream.Synchronize();
            result = result with { Passed = true, Check = "not verified (--no-verify)" };
        }

        double typical = WarmUp(stream, () => run.Launch(stream, kernels), Math.Min(3, options.MaxTime));
        bool cold = options.Cold && flush is not null;
        int batch = cold ? 1 : (int)Math.Clamp(Math.Ceiling(1.0 / Math.Max(typical, 1e-4)), 1, 1000);
        var samples = new List<double>();
        var clock = Stopwatch.StartNew();
        while (samples.Count < options.MaxRuns)
        {
            if (cold)
            {
                stream.Fill(flush!, (float)samples.Count);
            }

            using DeviceEvent start = stream.Record();
            for (int i = 0; i < batch; i++)
            {
                run.Launch(stream, kernels);
            }

            using DeviceEvent end = stream.Record();
            samples.Add(end.ElapsedMillisecondsSince(start) / batch);
            double spent = clock.Elapsed.TotalSeconds;
            if (spent >= options.MaxTime && (samples.Count >= 3 || samples[0] / 1000 > options.MaxTime / 3))
            {
                break;
            }

            if (spent >= options.MinTime && samples.Count >= options.MinRuns && SampleStats.From(samples).Noise <= options.NoiseBound)
            {
                break;
            }
        }

        SampleStats st = SampleStats.From(samples);
        result = result with
        {
            Runs = st.Count,
            MedianMs = st.Median,
            MinMs = st.Min,
            MaxMs = st.Max,
            MeanMs = st.Mean,
            Noise = st.Noise,
            SamplesMs = samples,
            Cold = cold,
            Batch = batch,
        };
        return roof is null ? result : WithRoofline(result, roof);
    }

    /// <summary>Adds the bound and % of roofline: memory-bound below the ridge (or without FLOPs), compute-bound above.</summary>
    /// <param name="r">The result.</param>
    /// <param name="roof">The device's roofs.</param>
    /// <returns>The result with <see cref="BenchResult.Bound"/> and <see cref="BenchResult.RooflinePercent"/>.</returns>
    public static BenchResult WithRoofline(BenchResult r, RooflineFigures roof)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(roof);
        if (double.IsNaN(r.MedianMs))
        {
            return r;
        }

        // BF16 matrix products on a device that multiplies BF16 pairs have twice the F32 compute roof.
        double peak = roof.PeakGflops * (r.DType == "bf16" && r.Op is "gemm" or "grouped-gemm" ? roof.Bf16MatmulPeakFactor : 1);
        bool memory = r.Flops == 0 || double.IsNaN(peak) || r.Intensity * roof.BandwidthGBs < peak;
        double pct = memory ? 100 * r.GBs / roof.BandwidthGBs : 100 * r.Gflops / peak;
        return r with { Bound = memory ? "memory" : "compute", RooflinePercent = pct };
    }

    /// <summary>
    /// Launches until the last three timings agree with the three before within 10% and the JIT has compiled nothing
    /// for the last 0.25 s (at least 0.3 s, at most <paramref name="maxSeconds"/>); returns the last typical time in ms.
    /// The JIT check: .NET promotes hot methods to optimised code on a background thread, which shares the cores with
    /// the launches meanwhile (a CPU device's timings can agree while that is still going on).
    /// </summary>
    private static double WarmUp(DeviceStream stream, Action launch, double maxSeconds)
    {
        var clock = Stopwatch.StartNew();
        var t = new List<double>();
        var jit = new JitQuietClock();
        do
        {
            using DeviceEvent s0 = stream.Record();
            launch();
            using DeviceEvent s1 = stream.Record();
            t.Add(s1.ElapsedMillisecondsSince(s0));
            double quietMs = jit.QuietMilliseconds();
            if (t.Count >= 6 && clock.Elapsed.TotalSeconds >= Math.Min(0.3, maxSeconds) && quietMs >= 1000 * Math.Min(0.25, maxSeconds))
            {
                double last = t.TakeLast(3).Average(), before = t.SkipLast(3).TakeLast(3).Average();
                if (Math.Abs(last - before) <= 0.1 * before)
                {
                    return last;
                }
            }
        }
        while (clock.Elapsed.TotalSeconds < maxSeconds);
        return t.TakeLast(3).Average();
    }
}
