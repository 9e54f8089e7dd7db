using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading;
using System.Threading.Tasks;
using Backends.Benchmarking;
using Backends.Conformance;

namespace Backends.Benchmarks;

/// <summary>
/// <c>cpu-compare</c>: the CPU backend beside the references a user would otherwise reach for, in one run on the same
/// data: OpenBLAS SGEMM (C = A·Bᵀ) per shape and thread count, the decode GEMMs against their roofline bound
/// (min of the FMA peak and intensity × copy bandwidth, both sampled beside each shape in this run), each memory-bound op against a
/// plain copy of the same bytes timed right beside it, the grouped GEMM against one dense GEMM of the same FLOPs, and
/// the launch-to-completion time of a tiny op, and (part <c>bf16</c>, not in the default set) our BF16 GEMM on the
/// SGEMM shapes against its compute roof and our F32 SGEMM. Medians of alternating samples; read ratios, not absolutes.
/// Each thread count runs in a child process (DOTNET_PROCESSOR_COUNT and OPENBLAS_NUM_THREADS set before start).
/// </summary>
internal static unsafe class CpuCompare
{
    private static readonly (int M, int N, int K, string Label)[] SgemmShapes =
    [
        (512, 512, 512, "512³"), (1024, 1024, 1024, "1024³"), (2048, 2048, 2048, "2048³"), (4096, 4096, 4096, "4096³"),
        (128, 1408, 2048, "MoE prefill expert"), (512, 2048, 7168, "512×2048×7168"),
    ];

    private static readonly (int M, int N, int K)[] DecodeShapes =
    [
        (1, 4096, 4096), (4, 4096, 4096), (8, 4096, 4096), (16, 4096, 4096),
        (1, 2048, 7168), (4, 2048, 7168), (8, 2048, 7168), (16, 2048, 7168),
        (1, 7168, 2048), (4, 7168, 2048), (8, 7168, 2048), (16, 7168, 2048),
    ];

    private static string[] s_parts = [];

    /// <summary>Our SGEMM GFLOP/s per shape in this run (the sgemm part), for the bf16 part's ratio.</summary>
    private static readonly Dictionary<(int M, int N, int K), double> s_sgemmOurs = [];

    /// <summary>The issue's targets met in this thread count's run, per part: (target, met, measured), printed at its end.</summary>
    private static readonly List<(string Target, int Met, int Of)> s_targets = [];

    private static void Target(string target, int met, int of) => s_targets.Add((target, met, of));

    private static bool Part(string name) => s_parts.Contains(name);

    private static readonly string[] MemoryOps = ["add", "mul", "silu", "swiglu", "softmax", "rmsnorm", "rope", "cast", "moe-unpermute"];

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        s_parts = args.SkipWhile(a => a != "--part").Skip(1).FirstOrDefault()?.Split(',') ?? ["sgemm", "decode", "memory", "grouped", "latency"];
        string coreType = args.SkipWhile(a => a != "--coretype").Skip(1).FirstOrDefault() ?? "SkylakeX";
        string? threadsArg = args.SkipWhile(a => a != "--threads").Skip(1).FirstOrDefault();
        if (threadsArg is null)
        {
            // The parent: one child per thread count, each with the count fixed before the runtime and OpenBLAS start.
            int rc = 0;
            foreach (int t in new[] { 1, Environment.ProcessorCount }.Distinct())
            {
                rc |= Child(t, quick, coreType);
            }

            return rc;
        }

        if (!int.TryParse(threadsArg, NumberStyles.None, CultureInfo.InvariantCulture, out int threads) || threads < 1)
        {
            Console.Error.WriteLine($"cpu-compare: --threads wants a whole number of threads, 1 or more (got '{threadsArg}')");
            return 2;
        }

        // The child measures; a user's --threads N (this process not started with the count fixed) gets one child.
        bool isChild = Environment.ProcessorCount == threads && Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS") == threadsArg;
        return isChild ? Measure(threads, quick) : Child(threads, quick, coreType);
    }

    private static int Child(int threads, bool quick, string coreType)
    {
        string exe = Environment.ProcessPath!;
        var psi = Path.GetFileNameWithoutExtension(exe) == "dotnet"
            ? new ProcessStartInfo(exe, [Assembly.GetEntryAssembly()!.Location, "cpu-compare", "--threads", threads.ToString(CultureInfo.InvariantCulture)])
            : new ProcessStartInfo(exe, ["cpu-compare", "--threads", threads.ToString(CultureInfo.InvariantCulture)]);
        if (quick)
        {
            psi.ArgumentList.Add("--quick");
        }

        psi.ArgumentList.Add("--part");
        psi.ArgumentList.Add(string.Join(',', s_parts));

        psi.Environment["DOTNET_PROCESSOR_COUNT"] = threads.ToString(CultureInfo.InvariantCulture);
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        // OpenBLAS 0.3.21 does not know recent CPUs and falls back to old kernels; the issue's reference is SkylakeX.
        psi.Environment["OPENBLAS_CORETYPE"] = coreType;

        // OpenBLAS's threads spin ~0.1 s after each call by default (2^28 cycles), which would steal a core from the
        // sample that follows (ours); 2^21 cycles (about a millisecond) is as long as our helpers spin, so each
        // library keeps its threads awake between its own back-to-back calls, and the settle before a sample outlasts both.
        psi.Environment["OPENBLAS_THREAD_TIMEOUT"] = "21";

        // With one processor .NET waits ten times longer (about a second, restarted by every new method jitted)
        // before it starts promoting hot methods to optimised code; library code reached from our ops (System.Numerics.Tensors)
        // would then be timed unoptimised for the first seconds. The usual delay lets the warm-up reach optimised code.
        psi.Environment["DOTNET_TC_DelaySingleProcMultiplier"] = "1";
        using Process p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    private static int Measure(int threads, bool quick)
    {
        int reps = quick ? 3 : 5;
        using Device cpu = BackendRegistry.CreateDefault().Open("cpu:0");
        using DeviceStream stream = cpu.CreateStream();
        Console.WriteLine($"## {threads} thread{(threads == 1 ? string.Empty : "s")} (Environment.ProcessorCount = {Environment.ProcessorCount})");
        Console.WriteLine(OpenBlas.Describe());
        Console.WriteLine($"memory (ours, OpenBLAS's copies and the read stream alike): {Backends.Cpu.CpuMemory.Status}");
        Console.WriteLine($"our kernels' tuning profile: {Backends.Cpu.CpuTuning.Describe()}");
        RooflineFigures roof = Part("decode") || Part("bf16") ? RooflineMeter.Measure(cpu) : new RooflineFigures { DeviceId = cpu.Id, DeviceName = cpu.Info.Name, PeakGflops = double.NaN, BandwidthGBs = double.NaN };
        // The run-start roof is measured for the decode part only (its % of run-start roof column); other parts say so.
        Console.WriteLine(double.IsNaN(roof.PeakGflops)
            ? "measured now: no run-start roof (only the decode and bf16 parts use it)"
            : string.Create(CultureInfo.InvariantCulture, $"measured now: FMA peak {roof.PeakGflops:F0} GFLOP/s, copy {roof.BandwidthGBs:F1} GB/s (bytes read + written)"));
        Console.WriteLine();

        if (Part("sgemm"))
        {
            Sgemms(cpu, stream, reps, quick);
        }

        if (Part("decode"))
        {
            Decodes(cpu, stream, reps, roof, threads);
        }

        if (Part("bf16"))
        {
            Bf16Gemms(cpu, stream, reps, roof, quick);
        }

        if (Part("memory"))
        {
            MemoryBound(cpu, stream, reps);
        }

        if (Part("grouped"))
        {
            GroupedVersusDense(cpu, stream, reps);
        }

        if (Part("latency"))
        {
            TinyOpLatency(cpu, stream);
        }

        Console.WriteLine();
        if (s_targets.Count > 0)
        {
            // One line per target (docs/cpu.md, issue 11), so a run says at a glance what it met; read it with the
            // phase in mind: on a shared machine one run is one sample.
            Console.WriteLine($"targets met in this run ({threads} thread{(threads == 1 ? string.Empty : "s")}):");
            foreach ((string target, int met, int of) in s_targets)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- {target}: {met} of {of}{(met == of ? " (met)" : string.Empty)}"));
            }

            Console.WriteLine();
        }

        return 0;
    }

    private static void Sgemms(Device cpu, DeviceStream stream, int reps, bool quick)
    {
        Console.WriteLine("| SGEMM C = A·Bᵀ | M×N×K | ours GFLOP/s | OpenBLAS GFLOP/s | ours / OpenBLAS |");
        Console.WriteLine("|---|---|---|---|---|");
        int met = 0, measured = 0;
        foreach ((int m, int n, int k, string label) in SgemmShapes.Where(s => !quick || (long)s.M * s.N * s.K <= 1L << 31))
        {
            (double ours, double blas) = Sgemm(cpu, stream, m, n, k, reps);
            s_sgemmOurs[(m, n, k)] = ours;
            if (!double.IsNaN(blas))
            {
                measured++;
                met += ours >= blas ? 1 : 0;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {m}×{n}×{k} | {ours:F1} | {(double.IsNaN(blas) ? "-" : blas.ToString("F1", CultureInfo.InvariantCulture))} | {(double.IsNaN(blas) ? "-" : (ours / blas).ToString("F2", CultureInfo.InvariantCulture))} |"));
        }

        if (measured > 0)
        {
            Target("SGEMM ≥ 1.0× OpenBLAS, shapes", met, measured);
        }

        Console.WriteLine();
    }

    /// <summary>
    /// Our GEMM with BF16 A and B [N,K] (F32 C) on the SGEMM shapes: GFLOP/s, % of its compute roof (the run-start FMA
    /// peak times the device's BF16 factor: 2 with the VDPBF16PS kernels), and against our F32 SGEMM of this run (when
    /// the sgemm part ran). OpenBLAS is not beside it: the distribution's 0.3.21 is built without its BF16 GEMM (sbgemm).
    /// </summary>
    private static void Bf16Gemms(Device cpu, DeviceStream stream, int reps, RooflineFigures roof, bool quick)
    {
        double factor = (cpu as IPeakProbe)?.Bf16MatmulPeakFactor ?? 1;
        string how = cpu.Info.Facts.FirstOrDefault(f => f.Key == "bf16 gemm").Value ?? "?";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BF16 GEMM here: {how}; compute roof {factor:0.#} × the FMA peak = {factor * roof.PeakGflops:F0} GFLOP/s"));
        Console.WriteLine();
        Console.WriteLine("| BF16 GEMM C = A·Bᵀ (F32 C) | M×N×K | ours GFLOP/s | % of BF16 compute roof | our F32 SGEMM GFLOP/s | BF16 / F32 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach ((int m, int n, int k, string label) in SgemmShapes.Where(s => !quick || (long)s.M * s.N * s.K <= 1L << 31))
        {
            double ours = DecodeBf16(cpu, stream, m, n, k, reps);
            bool haveF32 = s_sgemmOurs.TryGetValue((m, n, k), out double f32);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {label} | {m}×{n}×{k} | {ours:F1} | {100 * ours / (factor * roof.PeakGflops):F0}% | {(haveF32 ? f32.ToString("F1", CultureInfo.InvariantCulture) : "-")} | {(haveF32 ? (ours / f32).ToString("F2", CultureInfo.InvariantCulture) : "-")} |"));
        }

        Console.WriteLine();
    }

    private static void Decodes(Device cpu, DeviceStream stream, int reps, RooflineFigures roof, int threads)
    {
        // A decode GEMM only reads B, and a read stream's rate differs from a copy's (reads + writes): about 85% of it
        // on an Intel Xeon (Ice Lake), around it and above it on an AMD EPYC (phase by phase). Beside the issue's bound
        // (copy bandwidth) the table gives the bound from a plain read stream (the better of one and four streams a
        // thread, see ReadStream), sampled beside each shape as the copy is. Measured once before the table (and then
        // with its accumulators in memory), it was 27.8 GB/s on two cores of a Zen 4 while the first shape read B at 39.
        using var beside = new BesideRoof(cpu, stream, roof.PeakGflops, threads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"read stream beside each shape: {BesideRoof.ReadFloats * sizeof(float) >> 20} MiB, {threads} thread{(threads == 1 ? string.Empty : "s")}, the better of 1 and 4 streams a thread, bytes read; the median of its samples makes the read-stream bound"));
        Console.WriteLine();
        Console.WriteLine("| decode GEMM (B [N,K]) | M×N×K | ours GFLOP/s | ours GB/s | copy GB/s, read GB/s, FMA peak beside | roofline bound GFLOP/s | % of bound | % of run-start roof | % of read-stream bound | OpenBLAS GFLOP/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        var f32 = new Dictionary<(int, int, int), double>();
        int met = 0;
        foreach ((int m, int n, int k) in DecodeShapes)
        {
            beside.Clear();
            (double ours, double blas) = Sgemm(cpu, stream, m, n, k, reps, rotateB: true, beside: beside.Sample);
            f32[(m, n, k)] = ours;
            double bytes = ((double)n * k) + ((double)m * k) + ((double)m * n);
            double intensity = 2.0 * m * n * k / (bytes * 4);
            met += ours >= 0.8 * beside.Bound(intensity, roof) ? 1 : 0;
            Console.WriteLine(DecodeRow("decode", m, n, k, ours, intensity, beside, roof, double.IsNaN(blas) ? "-" : blas.ToString("F1", CultureInfo.InvariantCulture)));
        }

        Target("decode F32 ≥ 80% of the roofline bound, shapes", met, DecodeShapes.Length);

        // The same with BF16 weights and activations (C in F32), as models ship them: half the bytes of B. Where the
        // device multiplies BF16 pairs (VDPBF16PS, AVX512-BF16), its compute roof is twice the F32 FMA peak.
        string bf16 = cpu.Info.Facts.FirstOrDefault(f => f.Key == "bf16 gemm").Value ?? string.Empty;
        double bf16Scale = bf16.StartsWith("VDPBF16PS", StringComparison.Ordinal) ? 2 : 1;
        Console.WriteLine();
        Console.WriteLine(bf16Scale == 2
            ? "BF16 on VDPBF16PS here (two multiply-adds per F32 lane and instruction): the BF16 rows' compute roof is twice the FMA peak beside them."
            : "BF16 widened to F32 here: the BF16 rows' compute roof is the FMA peak beside them.");
        Console.WriteLine();
        Console.WriteLine("| decode GEMM, BF16 A and B, F32 C | M×N×K | ours GFLOP/s | ours GB/s | copy GB/s, read GB/s, FMA peak beside | roofline bound GFLOP/s | % of bound | % of run-start roof | % of read-stream bound | BF16 / F32 (ours) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach ((int m, int n, int k) in DecodeShapes)
        {
            beside.Clear();
            double ours = DecodeBf16(cpu, stream, m, n, k, reps, beside.Sample);
            double bytes = (((double)n * k) + ((double)m * k)) * 2 + ((double)m * n * 4);
            double intensity = 2.0 * m * n * k / bytes;
            Console.WriteLine(DecodeRow("decode bf16", m, n, k, ours, intensity, beside, roof, (ours / f32[(m, n, k)]).ToString("F2", CultureInfo.InvariantCulture), bf16Scale));
        }

        Console.WriteLine();
    }

    /// <summary>One decode table row: the bound from the copy and FMA peak sampled beside the shape (the target's), from the run-start roof, and from the read stream.</summary>
    private static string DecodeRow(string label, int m, int n, int k, double ours, double intensity, BesideRoof beside, RooflineFigures roof, string last, double computeScale = 1)
    {
        double copy = beside.CopyGBs, peak = beside.PeakGflops, read = beside.ReadGBs;
        double bound = beside.Bound(intensity, roof, computeScale);
        double startBound = Math.Min(computeScale * roof.PeakGflops, intensity * roof.BandwidthGBs);
        double readBound = Math.Min(computeScale * roof.PeakGflops, intensity * read);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"| {label} | {m}×{n}×{k} | {ours:F1} | {ours / intensity:F1} | {copy:F1}, {read:F1}, {peak:F0} | {bound:F0} | {100 * ours / bound:F0}% | {100 * ours / startBound:F0}% | {100 * ours / readBound:F0}% | {last} |");
    }

    /// <summary>
    /// The decode bound's two terms sampled beside a shape's own samples, the same way and as often: after each pair of
    /// ours and OpenBLAS, one sample of the device's copy of 256 MiB (bytes read + written, every core, as the memory-bound
    /// ops' copy) and one of the FMA-bound probe, each a <see cref="Block"/>; their medians make the bound. On this shared
    /// VM the copy's rate swung between 14 and 21 GB/s on one core within minutes, so a bound measured once at the start of
    /// the run (best of seven, <see cref="RooflineMeter"/>) and set against medians taken minutes later compared different
    /// phases, and a best against a median; the table prints the % of that run-start roof too.
    /// </summary>
    private sealed class BesideRoof : IDisposable
    {
        private const long CopyFloats = 64L << 20;
        private readonly DeviceStream _stream;
        private readonly TensorView _from;
        private readonly TensorView _to;
        private readonly TensorView? _scratch;
        private readonly IPeakProbe? _probe;
        private readonly int _iterations;
        private readonly List<double> _copy = [];
        private readonly List<double> _peak = [];
        private readonly List<double> _read = [];
        private readonly int _threads;
        private float* _readFrom;
        private double _flopsPerBurst;

        public BesideRoof(Device cpu, DeviceStream stream, double peakGuess, int threads)
        {
            _stream = stream;
            _threads = threads;
            _readFrom = (float*)Backends.Cpu.CpuMemory.Allocate(ReadFloats * sizeof(float)); // as the device's buffers (huge pages)
            new Span<float>(_readFrom, (int)ReadFloats).Fill(1f);
            _from = cpu.Allocate(DType.F32, (int)CopyFloats);
            _to = cpu.Allocate(DType.F32, (int)CopyFloats);
            stream.Fill(_from, 1f);
            stream.Fill(_to, 0f);
            if (cpu is IPeakProbe probe)
            {
                _probe = probe;
                _scratch = cpu.Allocate(DType.F32, probe.ScratchElements);

                // A burst of about 5 ms at the run-start peak (a Block repeats it for 25 ms).
                double flopsPerIteration = probe.QueueFmaBurst(stream, _scratch, 1000) / 1000;
                stream.Synchronize();
                double guess = double.IsFinite(peakGuess) && peakGuess > 0 ? peakGuess : 100;
                _iterations = (int)Math.Clamp(guess * 1e9 * 0.005 / flopsPerIteration, 1000, 200_000_000);
            }

            stream.Synchronize();
        }

        /// <summary>Floats of the read stream's array: 256 MiB, beyond any cache here.</summary>
        public const long ReadFloats = 64L << 20;

        /// <summary>Median copy rate of the samples since <see cref="Clear"/>, GB/s (bytes read + written).</summary>
        public double CopyGBs => Median(_copy);

        /// <summary>Median read-stream rate of the samples since <see cref="Clear"/>, GB/s (bytes read; each sample the better of 1 and 4 streams a thread).</summary>
        public double ReadGBs => Median(_read);

        /// <summary>Median FMA rate of the samples since <see cref="Clear"/>, GFLOP/s (NaN without a probe).</summary>
        public double PeakGflops => _peak.Count == 0 ? double.NaN : Median(_peak);

        /// <summary>
        /// min(compute peak, intensity × copy) from the samples since <see cref="Clear"/>: the compute peak the FMA
        /// probe's (the run-start peak where there is no probe) times <paramref name="computeScale"/> (2 where BF16 runs
        /// on VDPBF16PS: 32 multiply-adds per instruction, not 16).
        /// </summary>
        public double Bound(double intensity, RooflineFigures roof, double computeScale = 1) => Math.Min(computeScale * (double.IsNaN(PeakGflops) ? roof.PeakGflops : PeakGflops), intensity * CopyGBs);

        public void Clear()
        {
            _copy.Clear();
            _peak.Clear();
            _read.Clear();
        }

        /// <summary>One copy sample, one FMA sample and one read-stream sample.</summary>
        public void Sample()
        {
            double ms = Block(() =>
            {
                _stream.Copy(_from, _to);
                _stream.Synchronize();
            });
            _copy.Add(2.0 * CopyFloats * sizeof(float) / ms / 1e6);
            if (_probe is not null)
            {
                ms = Block(() =>
                {
                    _flopsPerBurst = _probe.QueueFmaBurst(_stream, _scratch!, _iterations);
                    _stream.Synchronize();
                });
                _peak.Add(_flopsPerBurst / ms / 1e6);
            }

            double best = 0;
            foreach (int streams in new[] { 1, 4 })
            {
                ms = Block(() => ReadStream(_readFrom, ReadFloats, _threads, streams));
                best = Math.Max(best, ReadFloats * sizeof(float) / ms / 1e6);
            }

            _read.Add(best);
        }

        public void Dispose()
        {
            if (_readFrom != null)
            {
                Backends.Cpu.CpuMemory.Free(_readFrom);
                _readFrom = null;
            }

            _from.Buffer.Dispose();
            _to.Buffer.Dispose();
            _scratch?.Buffer.Dispose();
        }
    }

    /// <summary>GFLOP/s of our GEMM with BF16 A and B [N,K] (rotating copies of B beyond the caches, as <see cref="Sgemm"/>) and an F32 C: the decode shapes and the bf16 part's.</summary>
    private static double DecodeBf16(Device cpu, DeviceStream stream, int m, int n, int k, int reps, Action? beside = null)
    {
        var rnd = new Random(m * 31 + n * 7 + k);
        BFloat16[] a = new BFloat16[(long)m * k], b = new BFloat16[(long)n * k];
        for (long i = 0; i < a.Length; i++)
        {
            a[i] = (BFloat16)(float)(rnd.NextDouble() - 0.5);
        }

        for (long i = 0; i < b.Length; i++)
        {
            b[i] = (BFloat16)(float)(rnd.NextDouble() - 0.5);
        }

        int copies = (int)Math.Clamp((RotationBytes + (b.Length * 2L) - 1) / (b.Length * 2L), 1, 16);
        TensorView da = cpu.Allocate(DType.BF16, m, k), dc = cpu.Allocate(DType.F32, m, n);
        var db = new TensorView[copies];
        try
        {
            stream.Write<BFloat16>(da, a);
            for (int c = 0; c < copies; c++)
            {
                db[c] = cpu.Allocate(DType.BF16, n, k);
                stream.Write<BFloat16>(db[c], b);
            }

            var options = new GemmOptions { TransB = true };
            int next = 0;
            void Ours()
            {
                cpu.Kernels.Gemm(stream, da, db[next++ % copies], dc, options);
                stream.Synchronize();
            }

            // As in Sgemm: past the runtime's tier-up, so the timing sees optimised code.
            WarmUp(50, Ours);

            var times = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                times.Add(Block(Ours));
                beside?.Invoke();
            }

            return 2.0 * m * n * k / Median(times) / 1e6;
        }
        finally
        {
            da.Buffer.Dispose();
            dc.Buffer.Dispose();
            foreach (TensorView v in db)
            {
                v?.Buffer.Dispose();
            }
        }
    }

    /// <summary>
    /// One read-only pass of <paramref name="threads"/> threads over <paramref name="floats"/> floats at
    /// <paramref name="p"/>, each thread its part as <paramref name="streams"/> (1 or 4) long streams side by side: one
    /// stream as a copy reads, four as the decode kernels read B's runs for one and two rows of A. Which draws more
    /// depends on the CPU and the phase (one Zen 4 core, 25 ms samples: 27–30 GB/s either way, two cores 26–38).
    /// </summary>
    private static void ReadStream(float* p, long floats, int threads, int streams)
    {
        var gate = new Lock();
        float sink = 0;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long s = floats * t / threads, e = floats * (t + 1) / threads;
            float total = Sum(p + s, e - s, streams);
            lock (gate)
            {
                sink += total;
            }
        });

        if (float.IsNaN(sink))
        {
            throw new InvalidOperationException("the read stream's array holds a NaN"); // keeps the sum live
        }

        // The range as `streams` (1 or 4) long streams side by side (equal parts), a 64-byte line of each per step into
        // accumulators the JIT keeps in registers. (Accumulators in a stackalloc'd array, as this was first written, made
        // every add a store and a reload: one Zen 4 core then read 12–20 GB/s where these loops read 28–30.)
        static float Sum(float* x, long count, int streams)
        {
            bool four = streams == 4;
            long end = four ? count / 64 * 16 : count / 64 * 64, step = four ? 16 : 64, done = four ? 4 * end : end;
            float* x1 = x + end, x2 = x + (2 * end), x3 = x + (3 * end);
            float total = 0;
            long i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                if (four)
                {
                    for (; i < end; i += step)
                    {
                        a0 += Vector512.Load(x + i);
                        a1 += Vector512.Load(x1 + i);
                        a2 += Vector512.Load(x2 + i);
                        a3 += Vector512.Load(x3 + i);
                    }
                }
                else
                {
                    for (; i < end; i += step)
                    {
                        a0 += Vector512.Load(x + i);
                        a1 += Vector512.Load(x + i + 16);
                        a2 += Vector512.Load(x + i + 32);
                        a3 += Vector512.Load(x + i + 48);
                    }
                }

                total = Vector512.Sum((a0 + a1) + (a2 + a3));
            }
            else
            {
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
                if (four)
                {
                    for (; i < end; i += step)
                    {
                        a0 += Vector256.Load(x + i);
                        a1 += Vector256.Load(x + i + 8);
                        a2 += Vector256.Load(x1 + i);
                        a3 += Vector256.Load(x1 + i + 8);
                        a4 += Vector256.Load(x2 + i);
                        a5 += Vector256.Load(x2 + i + 8);
                        a6 += Vector256.Load(x3 + i);
                        a7 += Vector256.Load(x3 + i + 8);
                    }
                }
                else
                {
                    for (; i < end; i += step)
                    {
                        a0 += Vector256.Load(x + i);
                        a1 += Vector256.Load(x + i + 8);
                        a2 += Vector256.Load(x + i + 16);
                        a3 += Vector256.Load(x + i + 24);
                        a4 += Vector256.Load(x + i + 32);
                        a5 += Vector256.Load(x + i + 40);
                        a6 += Vector256.Load(x + i + 48);
                        a7 += Vector256.Load(x + i + 56);
                    }
                }

                total = Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
            }

            for (long r = done; r < count; r++)
            {
                total += x[r];
            }

            return total;
        }
    }

    private static void MemoryBound(Device cpu, DeviceStream stream, int reps)
    {
        Console.WriteLine("| memory-bound op (f32, default shape) | op GB/s | copy GB/s (same bytes, beside it) | % of copy |");
        Console.WriteLine("|---|---|---|---|");
        int met = 0;
        foreach (string op in MemoryOps)
        {
            OpSpec spec = OpCatalog.Get(op);
            OpCase c = spec.CreateCase(spec.DefaultShape, DType.F32, 1);
            using OpRun run = c.Prepare(cpu, stream);
            long half = (long)(c.BytesMoved / 2 / 4);
            TensorView from = cpu.Allocate(DType.F32, (int)half), to = cpu.Allocate(DType.F32, (int)half);
            try
            {
                stream.Fill(from, 1f);
                var opMs = new List<double>();
                var copyMs = new List<double>();
                // 50 launches first: library code precompiled for a baseline ISA (System.Numerics.Tensors) is rejitted
                // for this CPU only after 30 calls, and timing it before would measure that, not the kernel.
                WarmUp(50, () =>
                {
                    run.Launch(stream);
                    stream.Copy(from, to);
                    stream.Synchronize();
                });
                for (int i = 0; i < reps * 4; i++)
                {
                    opMs.Add(Time(stream, () => run.Launch(stream)));
                    copyMs.Add(Time(stream, () => stream.Copy(from, to)));
                }

                double opGbs = c.BytesMoved / Median(opMs) / 1e6, copyGbs = half * 8.0 / Median(copyMs) / 1e6;
                met += opGbs >= 0.85 * copyGbs ? 1 : 0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {op} {c.Shape} | {opGbs:F1} | {copyGbs:F1} | {100 * opGbs / copyGbs:F0}% |"));
            }
            finally
            {
                from.Buffer.Dispose();
                to.Buffer.Dispose();
            }
        }

        Target("memory-bound ops ≥ 85% of a copy, ops", met, MemoryOps.Length);
        Console.WriteLine();
    }

    /// <summary>
    /// Ours and OpenBLAS on the same shape and data: each sample is one library's calls back to back (at least
    /// <see cref="BlockMs"/>), the two libraries' samples alternating, medians compared. Before a sample the main thread
    /// spins <see cref="SettleMs"/> so the other library's threads stop spinning, and short calls get an untimed lead-in
    /// that wakes this library's own. With <paramref name="rotateB"/> (decode) each call reads the next of several copies
    /// of B, together beyond the last-level cache, so B comes from memory as a model's weights do. <paramref name="beside"/>
    /// runs after each pair of samples (the decode bound's copy and FMA samples).
    /// </summary>
    private static (double Ours, double Blas) Sgemm(Device cpu, DeviceStream stream, int m, int n, int k, int reps, bool rotateB = false, Action? beside = null)
    {
        var rnd = new Random(m * 31 + n * 7 + k);
        float[] a = new float[(long)m * k], b = new float[(long)n * k];
        for (long i = 0; i < a.Length; i++)
        {
            a[i] = (float)(rnd.NextDouble() - 0.5);
        }

        for (long i = 0; i < b.Length; i++)
        {
            b[i] = (float)(rnd.NextDouble() - 0.5);
        }

        int copies = rotateB ? (int)Math.Clamp((RotationBytes + (b.Length * 4L) - 1) / (b.Length * 4L), 1, 8) : 1;
        TensorView da = cpu.Allocate(DType.F32, m, k), dc = cpu.Allocate(DType.F32, m, n);
        TensorView[] db = new TensorView[copies];
        // OpenBLAS's copies in memory allocated as the device's buffers are (huge pages where ours have them).
        float* ha = (float*)Backends.Cpu.CpuMemory.Allocate(a.Length * 4L), hc = (float*)Backends.Cpu.CpuMemory.Allocate((long)m * n * 4);
        float*[] hb = new float*[copies];
        try
        {
            stream.Write<float>(da, a);
            a.AsSpan().CopyTo(new Span<float>(ha, a.Length));
            for (int c = 0; c < copies; c++)
            {
                db[c] = cpu.Allocate(DType.F32, n, k);
                stream.Write<float>(db[c], b);
                hb[c] = (float*)Backends.Cpu.CpuMemory.Allocate(b.Length * 4L);
                b.AsSpan().CopyTo(new Span<float>(hb[c], b.Length));
            }

            var options = new GemmOptions { TransB = true };
            int oursNext = 0, blasNext = 0;
            void Ours()
            {
                cpu.Kernels.Gemm(stream, da, db[oursNext++ % copies], dc, options);
                stream.Synchronize();
            }

            void Blas() => OpenBlas.SgemmNT(m, n, k, ha, hb[blasNext++ % copies], hc);
            double flops = 2.0 * m * n * k;
            // Warm-up: ours reaches code optimised for this CPU, OpenBLAS starts its threads.
            WarmUp(Math.Max(2, Math.Min(50, (int)Math.Clamp(6e8 / flops, 1, 600))), OpenBlas.IsAvailable ? [Ours, Blas] : [Ours]);

            var ours = new List<double>();
            var blas = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                ours.Add(Block(Ours));
                if (OpenBlas.IsAvailable)
                {
                    blas.Add(Block(Blas));
                }

                beside?.Invoke();
            }

            return (flops / Median(ours) / 1e6, OpenBlas.IsAvailable ? flops / Median(blas) / 1e6 : double.NaN);
        }
        finally
        {
            da.Buffer.Dispose();
            dc.Buffer.Dispose();
            Backends.Cpu.CpuMemory.Free(ha);
            Backends.Cpu.CpuMemory.Free(hc);
            for (int c = 0; c < copies; c++)
            {
                db[c].Buffer?.Dispose();
                if (hb[c] != null)
                {
                    Backends.Cpu.CpuMemory.Free(hb[c]);
                }
            }
        }
    }

    /// <summary>Bytes of B that rotating decode copies add up to at least: beyond this VM's last-level cache (it reports up to 254 MiB).</summary>
    private const long RotationBytes = 256L << 20;

    /// <summary>Shortest timed sample, in milliseconds.</summary>
    private const double BlockMs = 25;

    /// <summary>
    /// How long the main thread spins before a sample: longer than either library's helper threads spin after a call
    /// (ours 1 ms by default; OpenBLAS 2^21 cycles, set for the child), so the previous sample's threads have stopped.
    /// </summary>
    private const double SettleMs = 3;

    /// <summary>
    /// Calls each of <paramref name="runs"/> <paramref name="calls"/> times, then keeps calling them until the JIT has
    /// compiled no new method for <see cref="JitQuietMs"/> (at most <see cref="WarmUpCapMs"/> more). .NET promotes a hot
    /// method to optimised code on a background thread some 100 ms after its 30th call, and that thread shares the cores
    /// with whatever runs meanwhile: timed right after a child started, 512³ on two threads read 254 GFLOP/s (OpenBLAS
    /// beside it 243), and 383 (318) with tiered compilation off. A fixed count of warm-up calls did not cover it.
    /// </summary>
    private static void WarmUp(int calls, params Action[] runs)
    {
        for (int i = 0; i < calls; i++)
        {
            foreach (Action run in runs)
            {
                run();
            }
        }

        long start = Stopwatch.GetTimestamp();
        var jit = new JitQuietClock();
        while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < WarmUpCapMs)
        {
            foreach (Action run in runs)
            {
                run();
            }

            if (jit.QuietMilliseconds() >= JitQuietMs)
            {
                return;
            }
        }
    }

    /// <summary>How long the JIT must have compiled nothing before a warm-up ends (<see cref="WarmUp"/>).</summary>
    private const double JitQuietMs = 250;

    /// <summary>The longest a warm-up waits for the JIT to go quiet (<see cref="WarmUp"/>).</summary>
    private const double WarmUpCapMs = 3000;

    /// <summary>Milliseconds per call of <paramref name="run"/> over one sample (see <see cref="Sgemm"/>).</summary>
    private static double Block(Action run)
    {
        long settle = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(settle).TotalMilliseconds < SettleMs)
        {
            Thread.SpinWait(64);
        }

        // Untimed lead-in of at least 5 ms for short calls: this library's threads are awake when timing starts.
        long lead = Stopwatch.GetTimestamp();
        run();
        double first = Stopwatch.GetElapsedTime(lead).TotalMilliseconds;
        while (first < 5 && Stopwatch.GetElapsedTime(lead).TotalMilliseconds < 5)
        {
            run();
        }

        int calls = 0;
        long t0 = Stopwatch.GetTimestamp();
        do
        {
            run();
            calls++;
        }
        while (Stopwatch.GetElapsedTime(t0).TotalMilliseconds < BlockMs);
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds / calls;
    }

    /// <summary>
    /// A full, blocking, compacting collection before a timed part: building a large case leaves gigabytes of garbage
    /// (its float64 values and encodings), and a background collection of it would otherwise share the core with the
    /// timed calls (with one processor it runs on the same core).
    /// </summary>
    private static void CollectGarbage()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static void GroupedVersusDense(Device cpu, DeviceStream stream, int reps)
    {
        // The moe-prefill expert projection: 512 tokens × top-8 = 4096 rows over 32 resident experts, 7168 → 2048.
        OpSpec spec = OpCatalog.Get("grouped-gemm");
        OpShape shape = spec.DefaultShape.With("R", 4096).With("N", 2048).With("K", 7168).With("E", 32).With("tb", 1);
        OpCase grouped = spec.CreateCase(shape, DType.F32, 1);
        using OpRun g = grouped.Prepare(cpu, stream);
        TensorView a = cpu.Allocate(DType.F32, 4096, 7168), w = cpu.Allocate(DType.F32, 2048, 7168), c = cpu.Allocate(DType.F32, 4096, 2048);
        try
        {
            stream.Fill(a, 0.01f);
            stream.Fill(w, 0.02f);
            CollectGarbage();
            var options = new GemmOptions { TransB = true };
            // Warm-up: a grouped call runs its per-expert code 32 times, but the first calls still meet methods
            // that .NET has not yet promoted to optimised code.
            WarmUp(3, () =>
            {
                g.Launch(stream);
                cpu.Kernels.Gemm(stream, a, w, c, options);
                stream.Synchronize();
            });

            var gm = new List<double>();
            var dm = new List<double>();
            for (int i = 0; i < reps; i++)
            {
                gm.Add(Time(stream, () => g.Launch(stream)));
                dm.Add(Time(stream, () => cpu.Kernels.Gemm(stream, a, w, c, options)));
            }

            double flops = 2.0 * 4096 * 2048 * 7168;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"grouped GEMM {shape}: {flops / Median(gm) / 1e6:F1} GFLOP/s; one dense GEMM 4096×2048×7168 of the same FLOPs: {flops / Median(dm) / 1e6:F1} GFLOP/s; grouped / dense = {Median(dm) / Median(gm):F2}"));
            Target("grouped GEMM ≥ 90% of the dense GEMM", Median(dm) >= 0.9 * Median(gm) ? 1 : 0, 1);
        }
        finally
        {
            a.Buffer.Dispose();
            w.Buffer.Dispose();
            c.Buffer.Dispose();
        }
    }

    private static void TinyOpLatency(Device cpu, DeviceStream stream)
    {
        TensorView x = cpu.Allocate(DType.F32, 16), y = cpu.Allocate(DType.F32, 16);
        try
        {
            stream.Fill(x, 1f);
            WarmUp(50, () =>
            {
                cpu.Kernels.Add(stream, x, x, y);
                stream.Synchronize();
            });
            var us = new List<double>();
            for (int i = 0; i < 2000; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                cpu.Kernels.Add(stream, x, x, y);
                stream.Synchronize();
                us.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            }

            double median = Median(us.Skip(500).ToList());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tiny op (add of 16 floats), launch to completion on a CPU stream: median {median:F1} µs"));
            Target("tiny op ≤ 5 µs from launch to completion", median <= 5 ? 1 : 0, 1);
        }
        finally
        {
            x.Buffer.Dispose();
            y.Buffer.Dispose();
        }
    }

    private static double Time(DeviceStream stream, Action queue)
    {
        using DeviceEvent s = stream.Record();
        queue();
        using DeviceEvent e = stream.Record();
        return e.ElapsedMillisecondsSince(s);
    }

    private static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[(s.Count / 2) - 1] + s[s.Count / 2]) / 2;
    }
}
