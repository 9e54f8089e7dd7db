using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The AVX512-BF16 kernels (<see cref="CpuBf16Dot"/>: the blocked GEMM's and the decode tiles): loaded wherever the CPU has them, their embedded
/// bytes the assembly of our source, and every packing case (transposes, odd strides, odd K, edge tiles, K slabs,
/// alpha and beta, NaN and infinities) against a float64 reference and against the widened-F32 path (on a CPU without
/// the kernel, both runs are the widened path).
/// </summary>
public sealed unsafe class CpuBf16DotTests
{
    private static bool CanRun =>
        RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux() &&
        Vector512.IsHardwareAccelerated && CpuBf16Dot.CpuHasAvx512Bf16();

    [Fact]
    public void Kernel_IsLoadedExactlyWhereTheCpuHasIt()
    {
        Assert.Equal(CanRun, CpuBf16Dot.Available);
        bool off = Environment.GetEnvironmentVariable("BACKENDS_CPU_BF16_DOT") == "0";
        Assert.Equal(CanRun && !off, CpuBf16Dot.Enabled);
        Assert.Contains(
            !CanRun ? "widened to F32 while packing (" : off ? "turned off by BACKENDS_CPU_BF16_DOT=0" : "VDPBF16PS (AVX512-BF16)",
            CpuBf16Dot.Status,
            StringComparison.Ordinal);
        if (!CanRun)
        {
            Assert.Throws<InvalidOperationException>(() => CpuBf16Dot.Run(null, null, 1, null));
            Assert.Throws<InvalidOperationException>(() => CpuBf16Dot.Decode(1, null, null, 0, 1, null));
        }

        // The harness's compute roof for BF16 GEMMs follows the kernel in use.
        var probe = Assert.IsAssignableFrom<IPeakProbe>(TestDevices.Get("cpu:0"));
        Assert.Equal(CpuBf16Dot.Enabled ? 2.0 : 1.0, probe.Bf16MatmulPeakFactor);
    }

    [Fact]
    public void EmbeddedCode_IsTheAssemblyOfTheSource()
    {
        string root = RepoRoot();
        string source = Path.Combine(root, "native", "cpu", "bf16_dot.S");
        Assert.True(File.Exists(source), $"missing {source}");
        string dir = Directory.CreateTempSubdirectory("backends-bf16-").FullName;
        try
        {
            string obj = Path.Combine(dir, "k.o"), bin = Path.Combine(dir, "k.bin");
            // GNU binutils come with the gcc that scripts/setup.sh installs (scripts/test.sh runs it first): a missing
            // assembler is a broken setup, not a case to skip.
            Assert.True(Tool("as", $"--64 -o \"{obj}\" \"{source}\""), $"GNU as could not assemble {source} (install binutils: scripts/setup.sh)");
            Assert.True(Tool("objcopy", $"-O binary -j .text \"{obj}\" \"{bin}\""), "objcopy failed (install binutils: scripts/setup.sh)");

            Assert.True(File.ReadAllBytes(bin).AsSpan().SequenceEqual(CpuBf16Dot.Code), "src/Backends.Cpu/Kernels/CpuBf16Dot.Code.cs is stale: run native/cpu/bytes.sh");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Shapes that reach the blocked path (from 17 rows) and the decode tiles (4..16 rows, B [N,K]).</summary>
    [Theory]
    [InlineData(400, 96, 64, false, true, 0, 1f, 0f)]       // whole panels and tiles, one slab
    [InlineData(397, 101, 77, false, true, 0, 1f, 0f)]      // partial row panel and column panel, odd K
    [InlineData(401, 50, 1543, false, true, 0, 0.5f, 0f)]   // K in three slabs, the last odd
    [InlineData(403, 49, 130, false, true, 3, 1f, 0.25f)]   // odd row strides (A and B): pairs element by element; beta
    [InlineData(40, 200, 257, false, false, 0, 1f, 0f)]     // B [K,N]: pairs interleave two rows of B
    [InlineData(33, 17, 9, true, false, 0, -2f, 1f)]        // A [K,M] as well; tiny K, odd
    [InlineData(25, 70, 1, true, false, 2, 1f, 0.5f)]       // K = 1: one pair, its high half zero
    [InlineData(64, 48, 2048, true, false, 1, 1f, 0f)]      // odd strides on k-major layouts
    [InlineData(4, 100, 64, false, true, 0, 1f, 0f)]        // decode tiles: one vector of A, a short last tile of B rows
    [InlineData(7, 37, 205, false, true, 0, 1f, 0.5f)]      // two vectors, K mod 8 = 5 (the tail), beta
    [InlineData(12, 48, 131, false, true, 3, 0.5f, 0f)]     // three vectors, odd strides
    [InlineData(16, 30, 4099, true, true, 0, 1f, 0f)]       // four vectors, A [K,M], one full tile and a short one
    [InlineData(13, 6, 8, false, true, 1, -1f, 1f)]         // one 8-k step, one tile exactly
    [InlineData(9, 5, 12, false, true, 0, 1f, 0f)]          // fewer B rows than a tile
    public void Gemm_MatchesFloat64_AndTheWidenedPath(int m, int n, int k, bool transA, bool transB, int pad, float alpha, float beta)
    {
        // Without the kernel (no AVX512-BF16, or narrower vectors) both runs take the widened path: the same shapes
        // still check it (Kernel_IsLoadedExactlyWhereTheCpuHasIt checks the kernel is absent only where it should be).
        int seed = Environment.TickCount;
        var rng = new Random(seed);
        long lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        long aRows = transA ? k : m, bRows = transB ? n : k;
        ushort[] a = RandomBf16(rng, aRows * lda), b = RandomBf16(rng, bRows * ldb);
        float[] c0 = new float[m * ldc];
        for (int i = 0; i < c0.Length; i++)
        {
            c0[i] = (float)(rng.NextDouble() - 0.5);
        }

        // Specials in the first rows: a NaN in A's row 1, an infinity in B's column 2 (row 0 of A is finite).
        SetA(a, transA, lda, 1, k - 1, 0x7FC0);
        SetB(b, transB, ldb, k / 2, 2, 0x7F80);

        float[] dot = Run(a, b, c0, m, n, k, transA, transB, lda, ldb, ldc, alpha, beta, bf16Dot: true);
        float[] widened = Run(a, b, c0, m, n, k, transA, transB, lda, ldb, ldc, alpha, beta, bf16Dot: false);
        string where = $"seed {seed}, {m}×{n}×{k} transA={transA} transB={transB} pad={pad}";
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                long at = (i * ldc) + j;
                if (j >= n)
                {
                    Assert.True(c0[at].Equals(dot[at]), $"{where}: C[{i}, {j}] past N was written");
                    Assert.True(c0[at].Equals(widened[at]), $"{where}: widened C[{i}, {j}] past N was written");
                    continue;
                }

                double sum = 0, magnitude = 0;
                for (int q = 0; q < k; q++)
                {
                    double t = Bf(a[transA ? (q * lda) + i : (i * lda) + q]) * Bf(b[transB ? (j * ldb) + q : (q * ldb) + j]);
                    sum += t;
                    magnitude += Math.Abs(t);
                }

                double want = (alpha * sum) + (beta == 0 ? 0 : beta * (double)c0[at]);
                double tolerance = (4e-6 * Math.Sqrt(k) * ((Math.Abs(alpha) * magnitude) + Math.Abs(beta * c0[at]))) + 1e-30;
                if (double.IsNaN(want) || double.IsInfinity(want))
                {
                    Assert.True(want.Equals((double)dot[at]), $"{where}: C[{i}, {j}] = {dot[at]}, expected {want}");
                    Assert.True(want.Equals((double)widened[at]), $"{where}: widened C[{i}, {j}] = {widened[at]}, expected {want}");
                    continue;
                }

                Assert.True(Math.Abs(dot[at] - want) <= tolerance, $"{where}: C[{i}, {j}] = {dot[at]:R}, expected {want:R}");
                Assert.True(Math.Abs(widened[at] - want) <= tolerance, $"{where}: widened C[{i}, {j}] = {widened[at]:R}, expected {want:R}");
            }
        }
    }

    private static float[] Run(ushort[] a, ushort[] b, float[] c0, int m, int n, int k, bool transA, bool transB, long lda, long ldb, long ldc, float alpha, float beta, bool bf16Dot)
    {
        float[] c = (float[])c0.Clone();
        fixed (ushort* pa = a, pb = b)
        fixed (float* pc = c)
        {
            var p = new GemmProblem((nint)pa, (nint)pb, (nint)pc, m, n, k, transA, transB, DType.BF16, DType.F32, alpha, beta, lda, ldb, ldc);
            CpuGemm.Run(p, bf16Dot);
        }

        return c;
    }

    /// <summary>count BF16 values uniform in (−1, 1), as bits.</summary>
    internal static ushort[] RandomBf16(Random rng, long count)
    {
        var v = new ushort[count];
        for (long i = 0; i < count; i++)
        {
            v[i] = ((BFloat16)(float)((rng.NextDouble() * 2) - 1)).RawValue;
        }

        return v;
    }

    private static void SetA(ushort[] a, bool transA, long lda, int i, int q, ushort bits) => a[transA ? (q * lda) + i : (i * lda) + q] = bits;

    private static void SetB(ushort[] b, bool transB, long ldb, int q, int j, ushort bits) => b[transB ? (j * ldb) + q : (q * ldb) + j] = bits;

    private static double Bf(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    private static bool Tool(string name, string arguments)
    {
        try
        {
            using Process p = Process.Start(new ProcessStartInfo(name, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Backends.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("no Backends.sln above " + AppContext.BaseDirectory);
    }
}

/// <summary>The blocked GEMM's F32 accumulator for an F16/BF16 C, kept between calls: calls on several threads at once, of different sizes, each get a buffer of their own.</summary>
public sealed unsafe class CpuGemmAccumulatorTests
{
    [Fact]
    public void ConcurrentHalfPrecisionC_GemmsOfDifferentSizes_GiveTheSameBitsAsAlone()
    {
        (int M, int N, int K)[] shapes = [(400, 96, 300), (420, 200, 130), (500, 64, 777), (397, 150, 64)];
        var rng = new Random(20261202);
        var inputs = new (ushort[] A, ushort[] B)[shapes.Length];
        var alone = new ushort[shapes.Length][];
        for (int s = 0; s < shapes.Length; s++)
        {
            (int m, int n, int k) = shapes[s];
            inputs[s] = (CpuBf16DotTests.RandomBf16(rng, m * k), CpuBf16DotTests.RandomBf16(rng, n * k));
            alone[s] = Run(inputs[s].A, inputs[s].B, m, n, k);
        }

        // Four threads, each running its shapes in a different order, many times: a buffer handed to two calls at
        // once, or one too small, would change bits (or crash).
        System.Threading.Tasks.Parallel.For(0, 4, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (int rep = 0; rep < 6; rep++)
            {
                int s = (t + rep) % shapes.Length;
                (int m, int n, int k) = shapes[s];
                ushort[] c = Run(inputs[s].A, inputs[s].B, m, n, k);
                Assert.True(c.AsSpan().SequenceEqual(alone[s]), $"shape {m}×{n}×{k} on thread {t}, repetition {rep}: C differs from the call alone");
            }
        });
    }

    private static ushort[] Run(ushort[] a, ushort[] b, int m, int n, int k)
    {
        var c = new ushort[m * n];
        fixed (ushort* pa = a, pb = b, pc = c)
        {
            CpuGemm.Run(new GemmProblem((nint)pa, (nint)pb, (nint)pc, m, n, k, false, true, DType.BF16, DType.BF16, 1f, 0f));
        }

        return c;
    }
}
