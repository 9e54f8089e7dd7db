using System;
using System.Linq;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>The CPU GEMM's choice of reading F32 A in place from its rows (rows that fall in more than one L1 set) or packing it.</summary>
public sealed class CpuGemmLayoutTests
{
    [Theory]
    [InlineData(1024L, false)] // 4 KiB apart: all 8 rows in one L1 set
    [InlineData(2048L, false)]
    [InlineData(4096L, false)]
    [InlineData(7168L, false)] // 28 KiB: a multiple of 4 KiB too
    [InlineData(512L, true)]   // 2 KiB: two sets
    [InlineData(256L, true)]
    [InlineData(900L, true)]
    [InlineData(1027L, true)]  // a padded view of a 1024-wide buffer
    [InlineData(16L, true)]
    public void RowsSpreadInL1_RefusesStridesThatAliasEveryRow(long ld, bool spread) =>
        Assert.Equal(spread, CpuGemm.RowsSpreadInL1(ld));
}

/// <summary>Runs alone: it slows one GEMM worker down through a process-wide hook.</summary>
[CollectionDefinition("cpu-gemm-steal", DisableParallelization = true)]
public sealed class CpuGemmStealCollection
{
}

/// <summary>The blocked GEMM's work stealing: a worker done with its part runs row blocks of a slower one's stage.</summary>
[Collection("cpu-gemm-steal")]
public sealed class CpuGemmStealTests
{
    [Theory]
    [InlineData(400, 300, 1500, false)] // B [N,K] past the unpacked-B path's 384 rows; K in two slabs on AVX-512
    [InlineData(397, 301, 1029, false)] // partial row blocks and panels at the edges
    [InlineData(160, 257, 700, true)]   // B [K,N], beta ≠ 0
    public void SlowWorker_HasItsRowBlocksTaken_AndCIsExact(int m, int n, int k, bool bRowMajor)
    {
        if (Backends.Cpu.CpuParallel.Workers < 2)
        {
            // One worker: there is no one to steal from; the GEMM itself is covered everywhere else.
            Assert.Equal(1, Backends.Cpu.CpuParallel.Workers);
            return;
        }

        Device d = TestDevices.Get("cpu:0");
        using DeviceStream s = d.CreateStream();
        var rng = new Random(20261202 + m);
        float[] a = [.. Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() - 0.5))];
        float[] b = [.. Enumerable.Range(0, n * k).Select(_ => (float)(rng.NextDouble() - 0.5))];
        float[] c0 = [.. Enumerable.Range(0, m * n).Select(_ => (float)(rng.NextDouble() - 0.5))];
        TensorView av = d.Allocate(DType.F32, m, k), bv = bRowMajor ? d.Allocate(DType.F32, k, n) : d.Allocate(DType.F32, n, k), cv = d.Allocate(DType.F32, m, n);
        using DeviceBuffer ab = av.Buffer, bb = bv.Buffer, cb = cv.Buffer;
        s.Write<float>(av, a);
        s.Write<float>(bv, b);
        var options = new GemmOptions { TransB = !bRowMajor, Alpha = 0.75f, Beta = bRowMajor ? 0.5f : 0f };

        // The same GEMM with every worker at full speed, then with the last part's owner waiting (up to 5 s) at each
        // of its stages until another worker has taken a block: the results must be the same bits.
        s.Write<float>(cv, c0);
        d.Kernels.Gemm(s, av, bv, cv, options);
        float[] steady = s.Read<float>(cv);
        long stolenBefore = CpuGemm.StolenBlocks;
        int last = -1;
        CpuGemm.StageOpened = part =>
        {
            // Both parts' owners open their first stages at about the same time: a plain max could lose part 1's
            // write to part 0's (seen once, on two cores with 256-bit vectors: "last part 0").
            int seen;
            do
            {
                seen = System.Threading.Volatile.Read(ref last);
            }
            while (part > seen && System.Threading.Interlocked.CompareExchange(ref last, part, seen) != seen);

            if (part == 1)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                long at = CpuGemm.StolenBlocks;
                while (CpuGemm.StolenBlocks == at && sw.ElapsedMilliseconds < 5000)
                {
                    System.Threading.Thread.Sleep(1);
                }
            }
        };
        try
        {
            s.Write<float>(cv, c0);
            d.Kernels.Gemm(s, av, bv, cv, options);
            s.Synchronize(); // the launch only queues the GEMM: it runs with the hook set, before it is cleared
        }
        finally
        {
            CpuGemm.StageOpened = null;
        }

        float[] slowed = s.Read<float>(cv);
        Assert.True(last >= 1, $"the GEMM did not split over two workers (the test needs a shape the grid splits): last part {last}");
        Assert.True(CpuGemm.StolenBlocks > stolenBefore, "no row block was taken from the slowed worker");
        Assert.Equal(steady, slowed);

        // And against the float64 reference.
        for (int i = 0; i < m; i += 7)
        {
            for (int j = 0; j < n; j += 5)
            {
                double sum = 0;
                for (int q = 0; q < k; q++)
                {
                    sum += (double)a[(i * k) + q] * (bRowMajor ? b[(q * n) + j] : b[(j * k) + q]);
                }

                double want = (0.75 * sum) + ((bRowMajor ? 0.5 : 0.0) * c0[(i * n) + j]);
                Assert.True(Math.Abs(slowed[(i * n) + j] - want) <= 1e-4 * (1 + Math.Sqrt(k)), $"C[{i},{j}] = {slowed[(i * n) + j]}, want {want} (seed {20261202 + m})");
            }
        }
    }
}

