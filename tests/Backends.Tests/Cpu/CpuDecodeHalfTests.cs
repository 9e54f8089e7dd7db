using System;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU's decode GEMMs on F16 and BF16 weights (M ≤ 16, B [N,K]), which widen B in registers as they read it (split
/// even/odd halves against A laid out in the same order, or BF16 broadcasts read in place): every output against a
/// float64 reference of the same rounded inputs, over row counts that take each kernel (1, 2 and 4 rows of A against
/// four runs of B rows, with rows left over; 4 × 6 tiles from 5 rows for F16; BF16 quad broadcasts in place on two
/// vectors of Aᵀ at 5..8 rows and on four at 9..16), K with and without a tail past the last whole block, N that leaves short tiles, B as a view of
/// a wider buffer (rows not 64-byte aligned, LdB ≠ K), alpha and beta, and C poisoned first; and F32 weights on the
/// same decode path.
/// </summary>
public sealed class CpuDecodeHalfTests
{
    public static TheoryData<string, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (string dt in new[] { "bf16", "f16" })
        {
            foreach (int m in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16 })
            {
                data.Add(dt, m, 37, 64);    // whole blocks, short last tile
                data.Add(dt, m, 29, 1000);  // a tail past the last block, odd N
            }

            foreach (int m in new[] { 5, 8, 12 })
            {
                data.Add(dt, m, 150, 4100); // several workers' ranges of whole tiles (the next tile's lines fetched), a tail
            }

            foreach (int m in new[] { 1, 2, 3, 4 })
            {
                data.Add(dt, m, 11, 40);    // four runs of two B rows and three rows left over; a tail
                data.Add(dt, m, 3, 64);     // fewer B rows than runs: all left over
                data.Add(dt, m, 150, 4100); // several workers' ranges of B rows, each as four runs
            }

            data.Add(dt, 2, 8, 33);
            data.Add(dt, 6, 12, 31);        // K shorter than one 512-bit block: all tail
            data.Add(dt, 1, 12, 31);        // the same through the runs of one and of three rows of A
            data.Add(dt, 3, 12, 31);
            data.Add(dt, 16, 24, 7);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HalfWeightDecode_MatchesFloat64(string dtype, int m, int n, int k)
    {
        int seed = Environment.TickCount ^ (m * 7919) ^ (n * 104729) ^ k;
        var rnd = new Random(seed);
        DType dt = dtype == "bf16" ? DType.BF16 : DType.F16;
        const int Pad = 5; // B's rows are Pad elements longer than K: LdB ≠ K and rows start off 64-byte boundaries
        double[] a = new double[m * k], b = new double[n * (k + Pad)];
        ushort[] ha = new ushort[a.Length], hb = new ushort[b.Length];
        for (int i = 0; i < a.Length; i++)
        {
            (ha[i], a[i]) = CpuFloat64.RoundTo(dt, (rnd.NextDouble() * 4) - 2);
        }

        for (int i = 0; i < b.Length; i++)
        {
            (hb[i], b[i]) = CpuFloat64.RoundTo(dt, (rnd.NextDouble() * 2) - 1);
        }

        float alpha = 0.75f, beta = m % 2 == 0 ? 0.5f : 0f;
        float[] c0 = new float[m * n];
        for (int i = 0; i < c0.Length; i++)
        {
            c0[i] = beta == 0 ? float.NaN : (float)rnd.NextDouble(); // beta = 0: C must not be read (NaN stays out)
        }

        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView va = cpu.Allocate(dt, m, k), wide = cpu.Allocate(dt, n, k + Pad), vc = cpu.Allocate(DType.F32, m, n);
        TensorView vb = wide.Columns(1, k);
        CpuFloat64.WriteHalf(s, va, dt, ha);
        CpuFloat64.WriteHalf(s, wide, dt, hb);
        s.Write<float>(vc, c0);
        cpu.Kernels.Gemm(s, va, vb, vc, new GemmOptions { TransB = true, Alpha = alpha, Beta = beta });
        AssertMatches(dtype, m, n, k, (i, q) => a[(i * k) + q], (j, q) => b[(j * (k + Pad)) + 1 + q], alpha, beta, c0, s.Read<float>(vc), seed);
    }

    public static TheoryData<int, int, int> F32Cases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int m in new[] { 1, 2, 3, 4, 5, 8, 9, 12, 13, 16 })
        {
            data.Add(m, 37, 64);    // whole steps, a short last tile of 12 B rows
            data.Add(m, 29, 1001);  // an odd K: one k past the last pair (and past the last 16 for 3..4 rows)
            data.Add(m, 12, 3);     // K shorter than one step of the 4-k tile
        }

        // One or two rows of A read B as four runs of rows: rows left over after the runs, fewer rows than runs, K past
        // the last whole vector (or pair of vectors), and several workers' ranges of B rows.
        foreach (int m in new[] { 1, 2 })
        {
            data.Add(m, 11, 40);
            data.Add(m, 3, 50);
            data.Add(m, 200, 4100);
        }

        return data;
    }

    /// <summary>
    /// F32 weights on the same decode path (M ≤ 16, B [N,K]: one or two rows of A as four runs of B rows, the
    /// 4-k and pair broadcasts, two A vectors per step at 9..16 rows), against a float64 reference, with the same B view, alpha, beta and poisoned C.
    /// </summary>
    [Theory]
    [MemberData(nameof(F32Cases))]
    public void F32WeightDecode_MatchesFloat64(int m, int n, int k)
    {
        int seed = Environment.TickCount ^ (m * 7919) ^ (n * 104729) ^ k;
        var rnd = new Random(seed);
        const int Pad = 3;
        float[] a = new float[m * k], b = new float[n * (k + Pad)];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)((rnd.NextDouble() * 4) - 2);
        }

        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (float)((rnd.NextDouble() * 2) - 1);
        }

        float alpha = 1.25f, beta = m % 2 == 0 ? 0.5f : 0f;
        float[] c0 = new float[m * n];
        for (int i = 0; i < c0.Length; i++)
        {
            c0[i] = beta == 0 ? float.NaN : (float)rnd.NextDouble();
        }

        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView va = cpu.Allocate(DType.F32, m, k), wide = cpu.Allocate(DType.F32, n, k + Pad), vc = cpu.Allocate(DType.F32, m, n);
        s.Write<float>(va, a);
        s.Write<float>(wide, b);
        s.Write<float>(vc, c0);
        cpu.Kernels.Gemm(s, va, wide.Columns(2, k), vc, new GemmOptions { TransB = true, Alpha = alpha, Beta = beta });
        AssertMatches("f32", m, n, k, (i, q) => a[(i * k) + q], (j, q) => b[(j * (k + Pad)) + 2 + q], alpha, beta, c0, s.Read<float>(vc), seed);
    }

    /// <summary>
    /// The broadcast decode path split over the workers (several chunks of B rows each, so every core runs some; a
    /// worker other than the caller reads its own copy of packed A, made on its first chunk of a call): calls one after
    /// another on the same shape with fresh A each time, so a copy left from an earlier call would show, each against
    /// float64. Exercised with more than one processor (the CI machine has two).
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(16)]
    public void F32WeightDecode_SplitOverWorkers_EachCallReadsItsOwnA(int m)
    {
        const int N = 3001, K = 520; // a K tail past the last whole 16-k line; a short last tile
        int seed = Environment.TickCount ^ (m * 7919);
        var rnd = new Random(seed);
        float[] b = new float[N * K];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (float)((rnd.NextDouble() * 2) - 1);
        }

        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView va = cpu.Allocate(DType.F32, m, K), vb = cpu.Allocate(DType.F32, N, K), vc = cpu.Allocate(DType.F32, m, N);
        s.Write<float>(vb, b);
        float[] c0 = new float[m * N];
        Array.Fill(c0, float.NaN);
        for (int call = 0; call < 3; call++)
        {
            float[] a = new float[m * K];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (float)((rnd.NextDouble() * 4) - 2);
            }

            s.Write<float>(va, a);
            s.Write<float>(vc, c0);
            cpu.Kernels.Gemm(s, va, vb, vc, new GemmOptions { TransB = true });
            AssertMatches($"call {call}", m, N, K, (i, q) => a[(i * K) + q], (j, q) => b[(j * K) + q], 1f, 0f, c0, s.Read<float>(vc), seed);
        }
    }

    /// <summary>Every C[i, j] against alpha·Σ_q A[i,q]·B[j,q] + beta·C0[i,j] in float64, to a tolerance scaled by Σ|A·B|.</summary>
    private static void AssertMatches(string label, int m, int n, int k, Func<int, int, double> a, Func<int, int, double> b, float alpha, float beta, float[] c0, float[] c, int seed)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double want = 0, mag = 0;
                for (int q = 0; q < k; q++)
                {
                    double t = a(i, q) * b(j, q);
                    want += t;
                    mag += Math.Abs(t);
                }

                want = (alpha * want) + (beta == 0 ? 0 : beta * c0[(i * n) + j]);
                double got = c[(i * n) + j];
                Assert.True(
                    Math.Abs(got - want) <= (1e-5 * (mag + Math.Abs(want))) + 1e-6,
                    $"{label} {m}x{n}x{k}: C[{i},{j}] = {got}, float64 reference {want} (seed {seed})");
            }
        }
    }
}
