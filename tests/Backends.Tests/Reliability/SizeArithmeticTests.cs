using System;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>Sizes, offsets and indices at and beyond 2³¹ and 2³² elements and bytes: 64-bit or refused with the documented exception.</summary>
public sealed class SizeArithmeticTests
{
    private static Device Cpu => TestDevices.Get("cpu:0");

    [Fact]
    public void View_OffsetPlusCountOverflow_IsRefused()
    {
        using DeviceBuffer b = Cpu.AllocateBuffer(DType.F32, 16);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorView(b, long.MaxValue - 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorView(b, long.MaxValue, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorView.Strided(b, 8, long.MaxValue / 3, 4, 2));
    }

    [Fact]
    public void Allocate_DimensionProductOverflow_IsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.Allocate(DType.F32, int.MaxValue, int.MaxValue, int.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.AllocateBuffer(DType.F32, long.MaxValue / 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorView.CountElements([1 << 30, 1 << 30, 1 << 30]));
    }

    [Fact]
    public void MoePermute_TimesKBeyondIntMax_IsArgumentException()
    {
        // ids [2²⁸, 8] is 8 GiB of address space that is never touched (the call is refused during validation).
        Device cpu = TestDevices.Registry.Open("cpu:0");
        try
        {
            using DeviceStream s = cpu.CreateStream();
            const int t = 1 << 28, k = 8;
            TensorView tokens = cpu.Allocate(DType.F32, t, 0), ids = cpu.Allocate(DType.I32, t, k);
            TensorView permuted = cpu.Allocate(DType.F32, 1, 0), src = cpu.Allocate(DType.I32, 1), slot = cpu.Allocate(DType.I32, 1, 1), off = cpu.Allocate(DType.I32, 3);
            var ex = Assert.Throws<ArgumentException>(() => cpu.Kernels.MoePermute(s, tokens, ids, permuted, src, slot, off));
            Assert.Contains("int.MaxValue", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            cpu.Dispose();
        }
    }

    [Fact]
    public void CpuGemm_NarrowOutputInRowBlocks_MatchesReference()
    {
        // M·N just above the accumulator bound: the F16 output is computed in row blocks.
        const int m = 1030, n = 32768, k = 3;
        Assert.True((long)m * n > (1 << 25));
        using DeviceStream s = Cpu.CreateStream();
        TensorView a = Cpu.Allocate(DType.F16, m, k), b = Cpu.Allocate(DType.F16, k, n), c = Cpu.Allocate(DType.F16, m, n);
        using DeviceBuffer ab = a.Buffer, bb = b.Buffer, cb = c.Buffer;
        var av = new Half[m * k];
        var bv = new Half[k * n];
        for (int i = 0; i < av.Length; i++) av[i] = (Half)((i % 7) - 3);
        for (int i = 0; i < bv.Length; i++) bv[i] = (Half)((i % 5) - 2);
        s.Write<Half>(a, av);
        s.Write<Half>(b, bv);
        Cpu.Kernels.Gemm(s, a, b, c);
        foreach (int row in new[] { 0, 1, 95, 96, 500, m - 1 })
        {
            Half[] got = s.Read<Half>(c.Slice(row, 1));
            foreach (int j in new[] { 0, 1, 2047, 2048, n - 1 })
            {
                double want = 0;
                for (int q = 0; q < k; q++) want += (double)av[(row * k) + q] * (double)bv[(q * n) + j];
                Assert.Equal(want, (double)got[j]);
            }
        }
    }

    [Fact]
    public void CpuGemm_Bf16Output_At2Pow31Elements_Runs()
    {
        // A logits-sized GEMM: C has exactly 2³¹ BF16 elements (4 GiB). Before the fix the F32 accumulator's int size
        // overflowed and the call faulted.
        Device cpu = TestDevices.Registry.Open("cpu:0");
        try
        {
            using DeviceStream s = cpu.CreateStream();
            const int m = 1 << 16, n = 1 << 15, k = 1;
            TensorView a = cpu.Allocate(DType.BF16, m, k), b = cpu.Allocate(DType.BF16, k, n), c = cpu.Allocate(DType.BF16, m, n);
            Assert.Equal(1L << 31, c.ElementCount);
            var av = new BFloat16[m];
            var bv = new BFloat16[n];
            for (int i = 0; i < m; i++) av[i] = (BFloat16)(float)((i % 9) - 4);
            for (int j = 0; j < n; j++) bv[j] = (BFloat16)(float)((j % 5) - 2);
            s.Write<BFloat16>(a, av);
            s.Write<BFloat16>(b, bv);
            cpu.Kernels.Gemm(s, a, b, c);
            foreach (int row in new[] { 0, 12345, m - 1 })
            {
                BFloat16[] got = s.Read<BFloat16>(c.Slice(row, 1));
                foreach (int j in new[] { 0, 777, n - 1 })
                {
                    Assert.Equal((float)av[row] * (float)bv[j], (float)got[j]);
                }
            }
        }
        finally
        {
            cpu.Dispose();
        }
    }

    [Fact]
    public void CpuGroupedGemm_ZeroesRowsBeyond2GiB()
    {
        // C is 2 GiB + 32 KiB of F32; every row lies outside the single (empty) group, so every row must become 0.
        // Before the fix the zeroing counted bytes in int and faulted from 2 GiB on (and skipped rows from 4 GiB on).
        Device cpu = TestDevices.Registry.Open("cpu:0");
        try
        {
            using DeviceStream s = cpu.CreateStream();
            const int rows = (1 << 19) + 8, n = 1024, k = 1;
            TensorView a = cpu.Allocate(DType.F32, rows, k), w = cpu.Allocate(DType.F32, 1, n, k), off = cpu.Allocate(DType.I32, 2), c = cpu.Allocate(DType.F32, rows, n);
            Assert.True(c.SizeInBytes > (1L << 31));
            s.Write<int>(off, [rows / 2, rows / 2]);
            s.Fill(c, float.NaN);
            cpu.Kernels.GroupedGemm(s, a, w, off, c);
            foreach (int row in new[] { 0, rows / 2, rows - 9, rows - 1 })
            {
                Assert.All(s.Read<float>(c.Slice(row, 1)), v => Assert.Equal(0f, v));
            }
        }
        finally
        {
            cpu.Dispose();
        }
    }
}
