using System;
using System.IO;
using System.Linq;
using Backends.Benchmarking;
using Xunit;
using Backends.Conformance;

namespace Backends.Tests;

/// <summary>The benchmark harness: statistics, comparisons, reports, plots, presets and the roofline meter.</summary>
public sealed class HarnessTests
{
    [Fact]
    public void Stats_MedianAndRobustNoise()
    {
        SampleStats s = SampleStats.From([10, 11, 9, 10, 10, 100]);
        Assert.Equal(10, s.Median);
        Assert.Equal(9, s.Min);
        Assert.Equal(100, s.Max);
        Assert.True(s.Noise < 0.2, $"one outlier must not dominate the noise: {s.Noise}");
        Assert.Equal(0, SampleStats.From([5]).Noise);
        Assert.Throws<ArgumentException>(() => SampleStats.From([]));
    }

    [Fact]
    public void Compare_FlagsAPlanted2xSlowdown_AndPassesIdenticalRuns()
    {
        BenchReport old = Report(("gemm", 10.0, 0.01), ("softmax", 2.0, 0.02), ("silu", 1.0, 0.01));
        var same = BenchComparison.Compare(old, old);
        Assert.All(same, c => Assert.Equal(Verdict.Same, c.Verdict));
        Assert.False(BenchComparison.HasRegression(same));

        BenchReport slower = Report(("gemm", 20.0, 0.01), ("softmax", 2.02, 0.02), ("silu", 0.5, 0.01));
        var cmp = BenchComparison.Compare(old, slower);
        Assert.Equal(Verdict.Slower, cmp.Single(c => c.Key.Contains("gemm", StringComparison.Ordinal)).Verdict);
        Assert.Equal(Verdict.Same, cmp.Single(c => c.Key.Contains("softmax", StringComparison.Ordinal)).Verdict);
        Assert.Equal(Verdict.Faster, cmp.Single(c => c.Key.Contains("silu", StringComparison.Ordinal)).Verdict);
        Assert.True(BenchComparison.HasRegression(cmp));
    }

    [Fact]
    public void Compare_NoisyCasesNeedABiggerChange()
    {
        // 10 runs at 50% noise: the medians' standard errors are ~20% each, so 3σ of the difference is ~84%.
        BenchReport old = Report(("gemm", 10.0, 0.50));
        BenchReport a = Report(("gemm", 15.0, 0.50));
        Assert.Equal(Verdict.Same, BenchComparison.Compare(old, a).Single().Verdict);
        BenchReport b = Report(("gemm", 20.0, 0.50));
        Assert.Equal(Verdict.Slower, BenchComparison.Compare(old, b).Single().Verdict);

        // The minimum threshold covers drift: 8% is no difference by default, but is with a 5% floor and quiet samples.
        BenchReport c = Report(("gemm", 10.8, 0.001));
        Assert.Equal(Verdict.Same, BenchComparison.Compare(Report(("gemm", 10.0, 0.001)), c).Single().Verdict);
        Assert.Equal(Verdict.Slower, BenchComparison.Compare(Report(("gemm", 10.0, 0.001)), c, 0.05).Single().Verdict);
    }

    [Fact]
    public void Compare_BrokenMissingAndNew()
    {
        BenchReport old = Report(("gemm", 10.0, 0.01), ("softmax", 1.0, 0.01));
        BenchReport current = Report(("gemm", 10.0, 0.01), ("rope", 1.0, 0.01)) with { };
        current = current with { Results = current.Results.Select(r => r.Op == "gemm" ? r with { Passed = false } : r).ToList() };
        var cmp = BenchComparison.Compare(old, current);
        Assert.Contains(cmp, c => c.Verdict == Verdict.Broken);
        Assert.Contains(cmp, c => c.Verdict == Verdict.Missing);
        Assert.Contains(cmp, c => c.Verdict == Verdict.New);
        Assert.True(BenchComparison.HasRegression(cmp));
    }

    [Fact]
    public void Report_RoundTripsAndWritesEveryFormat()
    {
        string dir = Directory.CreateTempSubdirectory("backends-report").FullName;
        try
        {
            BenchReport r = Report(("gemm", 10.0, 0.01), ("softmax", 2.0, 0.02));
            r.SaveJson(Path.Combine(dir, "r.json"));
            BenchReport back = BenchReport.Load(Path.Combine(dir, "r.json"));
            Assert.Equal(r.Results.Count, back.Results.Count);
            Assert.Equal(r.Results[0].MedianMs, back.Results[0].MedianMs);
            Assert.Equal(r.Rooflines[0].PeakGflops, back.Rooflines[0].PeakGflops);
            r.SaveCsv(Path.Combine(dir, "r.csv"));
            Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "r.csv")).Length);
            Assert.Contains("| gemm | ours | f32 |", r.ToMarkdown(), StringComparison.Ordinal);

            RooflinePlot.Save(r, Path.Combine(dir, "roof.png"));
            byte[] png = File.ReadAllBytes(Path.Combine(dir, "roof.png"));
            Assert.True(png.Length > 10_000);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            RooflinePlot.Save(r, Path.Combine(dir, "roof.svg"));
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(dir, "roof.svg")), StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => RooflinePlot.Save(r, Path.Combine(dir, "roof.bmp")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Roofline_BoundAndPercent()
    {
        var roof = new RooflineFigures { DeviceId = "x:0", DeviceName = "x", PeakGflops = 100, BandwidthGBs = 10 };
        Assert.Equal(10, roof.Ridge);
        BenchResult memory = BenchRunner.WithRoofline(Result("silu", 1.0, 0.01) with { Flops = 1e6, Bytes = 5e6 }, roof);
        Assert.Equal("memory", memory.Bound);
        Assert.Equal(50, memory.RooflinePercent, 6);       // 5 GB/s of 10
        BenchResult compute = BenchRunner.WithRoofline(Result("gemm", 1.0, 0.01) with { Flops = 5e7, Bytes = 1e6 }, roof);
        Assert.Equal("compute", compute.Bound);
        Assert.Equal(50, compute.RooflinePercent, 6);      // 50 GFLOP/s of 100
    }

    [Fact]
    public void Roofline_Bf16MatrixProducts_UseTheDevicesBf16Factor()
    {
        var roof = new RooflineFigures { DeviceId = "x:0", DeviceName = "x", PeakGflops = 100, BandwidthGBs = 10, Bf16MatmulPeakFactor = 2 };
        BenchResult gemm = BenchRunner.WithRoofline(Result("gemm", 1.0, 0.01) with { DType = "bf16", Flops = 1.5e8, Bytes = 1e6 }, roof);
        Assert.Equal("compute", gemm.Bound);
        Assert.Equal(75, gemm.RooflinePercent, 6);         // 150 GFLOP/s of 2 × 100
        BenchResult grouped = BenchRunner.WithRoofline(Result("grouped-gemm", 1.0, 0.01) with { DType = "bf16", Flops = 1.5e8, Bytes = 1e6 }, roof);
        Assert.Equal(75, grouped.RooflinePercent, 6);
        BenchResult f32 = BenchRunner.WithRoofline(Result("gemm", 1.0, 0.01) with { Flops = 5e7, Bytes = 1e6 }, roof);
        Assert.Equal(50, f32.RooflinePercent, 6);          // F32 keeps the FMA peak
        BenchResult other = BenchRunner.WithRoofline(Result("silu", 1.0, 0.01) with { DType = "bf16", Flops = 1.5e8, Bytes = 1e6 }, roof);
        Assert.Equal(150, other.RooflinePercent, 6);       // not a matrix product: the FMA peak
        // Between the ridges: compute-bound against the F32 peak would be wrong once the roof is 200.
        BenchResult ridge = BenchRunner.WithRoofline(Result("gemm", 1.0, 0.01) with { DType = "bf16", Flops = 1.5e8, Bytes = 1e7 }, roof);
        Assert.Equal("memory", ridge.Bound);               // intensity 15 < 200 / 10
    }

    [Theory]
    [InlineData("default")]
    [InlineData("square")]
    [InlineData("moe-decode")]
    [InlineData("moe-prefill")]
    public void Presets_AreValidShapesOfTheirOps(string preset)
    {
        var items = BenchPresets.Get(preset);
        Assert.NotEmpty(items);
        foreach (BenchItem i in items)
        {
            Assert.All(i.Shape.Values, kv => Assert.Contains(i.Spec.Axes, a => a.Name == kv.Key));
            Assert.False(string.IsNullOrEmpty(i.Label));
        }

        Assert.Throws<ArgumentException>(() => BenchPresets.Get("nope"));
    }

    [Fact]
    public void MoeDecode_HasTheDeepSeekShapes()
    {
        var items = BenchPresets.Get("moe-decode");
        Assert.Contains(items, i => i.Spec.Kind == OpKind.TopKGating && i.Shape["E"] == 256 && i.Shape["k"] == 8 && i.Shape["groups"] == 8 && i.Shape["kgroups"] == 4);
        Assert.Contains(items, i => i.Spec.Kind == OpKind.GroupedGemm && i.Shape["N"] == 2048 && i.Shape["K"] == 7168);
        Assert.Contains(items, i => i.Spec.Kind == OpKind.Gemm && i.Shape["M"] == 1);
    }

    /// <summary>The devices that are timed: every device but the emulators (an absent device is listed, and skipped as absent).</summary>
    public static TheoryData<string> TimedDevices() => [.. TestDevices.Ids.Where(id => !TestDevices.IsEmulator(id))];

    /// <summary>The emulators present here (ILGPU's CPU accelerator, acl-sim).</summary>
    public static TheoryData<string> Emulators() => [.. TestDevices.Ids.Where(TestDevices.IsEmulator)];

    [Theory]
    [MemberData(nameof(Emulators))]
    public void Emulator_ClaimsNoComputeRoof(string device)
    {
        // An emulator checks kernels; its speed says nothing about the hardware it stands in for, so it offers no FMA
        // probe and bench never reports a compute roof or a % of peak for it.
        Device d = TestDevices.Get(device);
        Assert.Equal(DevicePriority.Emulator, d.Info.Priority);
        Assert.False(d is IPeakProbe, $"{d.Id} is an emulator but offers an FMA peak probe");
        var roof = new RooflineFigures { DeviceId = d.Id, DeviceName = d.Info.Name, PeakGflops = double.NaN, BandwidthGBs = 10 };
        BenchResult r = BenchRunner.WithRoofline(new BenchResult { Device = d.Id, Op = "gemm", Variant = "ours", DType = "f32", Shape = "-", Label = "-", MedianMs = 1, Flops = 1e9, Bytes = 1e6 }, roof);
        Assert.Equal("memory", r.Bound);
    }

    [Theory]
    [MemberData(nameof(TimedDevices))]
    public void RooflineMeter_MeasuresBothRoofs(string device)
    {
        Device d = TestDevices.Get(device);
        RooflineFigures f = RooflineMeter.Measure(d);
        Assert.True(f.PeakGflops > 1, $"peak {f.PeakGflops}");
        Assert.True(f.BandwidthGBs > 0.5, $"bandwidth {f.BandwidthGBs}");
        Assert.Equal(d.Id, f.DeviceId);
    }

    [Theory]
    [MemberData(nameof(StreamTests.Devices), MemberType = typeof(StreamTests))]
    public void Runner_ChecksThenTimes(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        OpSpec spec = OpCatalog.Get(OpKind.Silu);
        var item = new BenchItem(spec, OpShape.Parse("rows=64,cols=1000", spec), "test");
        OpCase c = spec.CreateCase(item.Shape, DType.F32, 7);
        TensorView flush = d.Allocate(DType.F32, 1 << 16);
        using DeviceBuffer fb = flush.Buffer;
        var options = new BenchOptions { MinTime = 0.01, MaxTime = 0.5, MinRuns = 3 };
        BenchResult r = BenchRunner.Run(d, s, "ours", item, c, null, options, flush);
        Assert.True(r.Passed, r.Check);

        // At least 3 runs, unless a single run took more than a third of the budget (other tests share the cores).
        Assert.True(r.Runs >= 3 || r.SamplesMs[0] > 1000 * options.MaxTime / 3, $"{r.Runs} runs, first {r.SamplesMs[0]} ms");
        Assert.Equal(r.Runs, r.SamplesMs.Count);
        Assert.True(r.MedianMs > 0 && r.MinMs <= r.MedianMs && r.MedianMs <= r.MaxMs);
        Assert.True(r.Cold);
    }

    private static BenchReport Report(params (string Op, double Ms, double Noise)[] rows) => new()
    {
        Environment = new BenchEnvironment { Host = "test", StartedUtc = DateTime.UtcNow },
        Rooflines = [new RooflineFigures { DeviceId = "cpu:0", DeviceName = "test", PeakGflops = 200, BandwidthGBs = 30 }],
        Results = rows.Select(r => Result(r.Op, r.Ms, r.Noise)).ToList(),
    };

    private static BenchResult Result(string op, double ms, double noise) => new()
    {
        Device = "cpu:0",
        Op = op,
        Variant = "ours",
        DType = "f32",
        Shape = "M=8",
        Passed = true,
        Runs = 10,
        MedianMs = ms,
        MinMs = ms * 0.9,
        MaxMs = ms * 1.2,
        MeanMs = ms,
        Noise = noise,
        Flops = 1e9,
        Bytes = 1e8,
    };
}
