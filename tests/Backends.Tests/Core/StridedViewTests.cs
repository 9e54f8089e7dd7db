using System;
using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary>Row-strided views: construction, column blocks, reshapes, slices, overlap, and stream I/O that leaves the gaps alone.</summary>
public sealed class StridedViewTests
{
    private static Device Cpu => TestDevices.Get("cpu:0");

    [Fact]
    public void Columns_KeepTheParentsRowStride()
    {
        TensorView fused = Cpu.Allocate(DType.F32, 4, 10);
        using DeviceBuffer b = fused.Buffer;
        TensorView gate = fused.Columns(0, 6), up = fused.Columns(6, 4);
        Assert.Equal(10, gate.RowStride);
        Assert.Equal(6, gate.RowLength);
        Assert.False(gate.IsContiguous);
        Assert.Equal(6, up.Offset);
        Assert.Equal([4, 4], up.Shape);
        Assert.Equal(3 * 10 + 4, up.Extent);
        Assert.True(fused.Columns(0, 10).IsContiguous);
        Assert.Equal(2 * 10 + 3, up.ElementOffset(11));
        Assert.Throws<ArgumentOutOfRangeException>(() => fused.Columns(7, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => fused.Columns(-1, 2));
        Assert.Throws<ArgumentException>(() => fused.Reshape(2, 2, 10).Columns(0, 2));
    }

    [Fact]
    public void Reshape_OfStridedView_KeepsItsRows()
    {
        TensorView qkv = Cpu.Allocate(DType.F32, 5, 3 * 8);
        using DeviceBuffer b = qkv.Buffer;
        TensorView q = qkv.Columns(0, 8).Reshape(5, 2, 4); // [T, H, D] with token rows 24 apart
        Assert.Equal(24, q.RowStride);
        Assert.Equal(8, q.RowLength);
        Assert.Equal(24 + 5, q.ElementOffset(8 + 5));
        Assert.Throws<ArgumentException>(() => qkv.Columns(0, 8).Reshape(40));
        Assert.Throws<ArgumentException>(() => qkv.Columns(0, 8).Reshape(10, 4));
        TensorView s = q.Slice(2, 2);
        Assert.Equal(48, s.Offset);
        Assert.Equal(24, s.RowStride);
    }

    [Fact]
    public void Strided_ChecksStrideAndBounds()
    {
        using DeviceBuffer b = Cpu.AllocateBuffer(DType.F32, 100);
        Assert.Equal(70, TensorView.Strided(b, 0, 30, 3, 10).Extent);
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorView.Strided(b, 0, 9, 3, 10));      // stride < row
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorView.Strided(b, 31, 30, 3, 10));    // runs past the end
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorView.Strided(b, 0, 30, 10));        // rank 1 has no rows to stride
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorView.Strided(b, 0, long.MaxValue / 2, 3, 10)); // overflow
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorView(b, long.MaxValue - 2, 5)); // offset + count overflows
    }

    [Fact]
    public void Overlaps_IsExactForColumnBlocks()
    {
        TensorView m = Cpu.Allocate(DType.F32, 6, 12);
        using DeviceBuffer b = m.Buffer;
        TensorView left = m.Columns(0, 5), mid = m.Columns(5, 4), right = m.Columns(9, 3);
        Assert.False(left.Overlaps(mid));
        Assert.False(mid.Overlaps(right));
        Assert.False(right.Overlaps(left));
        Assert.True(m.Columns(3, 4).Overlaps(left));
        Assert.True(m.Slice(2, 1).Overlaps(mid));                  // a contiguous row crosses every column block
        Assert.False(m.Slice(2, 1).Columns(0, 5).Overlaps(mid));   // ... but not its own disjoint columns
        Assert.True(left.IsSameAs(m.Columns(0, 5)));
        Assert.False(left.IsSameAs(m.Reshape(3, 24).Columns(0, 5)));
    }

    public static TheoryData<string> Devices() => [.. TestDevices.Ids];

    [Theory]
    [MemberData(nameof(Devices))]
    public void WriteReadCopyFill_MoveRowsAndLeaveGapsAlone(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        TensorView wide = d.Allocate(DType.F32, 3, 7), other = d.Allocate(DType.F32, 3, 7);
        using DeviceBuffer b1 = wide.Buffer, b2 = other.Buffer;
        s.Fill(wide, -1f);
        s.Fill(other, -2f);
        TensorView block = wide.Columns(2, 3);
        s.Write<float>(block, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8, 9], s.Read<float>(block));
        float[] all = s.Read<float>(wide);
        Assert.Equal([-1f, -1, 1, 2, 3, -1, -1, -1, -1, 4, 5, 6, -1, -1, -1, -1, 7, 8, 9, -1, -1], all);

        s.Copy(block, other.Columns(4, 3));
        Assert.Equal([-2f, -2, -2, -2, 1, 2, 3], s.Read<float>(other).Take(7));
        s.Fill(other.Columns(0, 2), 5f);
        Assert.Equal([5f, 5, -2, -2, 1, 2, 3, 5, 5, -2, -2, 4, 5, 6], s.Read<float>(other).Take(14));
        Assert.Throws<ArgumentException>(() => s.Copy(block, d.Allocate(DType.F32, 9))); // a strided copy needs equal rows
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void StridedView_WhereTheContractForbidsIt_IsUnsupported(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        TensorView tokens = d.Allocate(DType.F32, 4, 16), ids = d.Allocate(DType.I32, 4, 2);
        TensorView permuted = d.Allocate(DType.F32, 8, 8), src = d.Allocate(DType.I32, 8), slot = d.Allocate(DType.I32, 4, 2), off = d.Allocate(DType.I32, 5);
        s.Fill(off, 77);
        var ex = Assert.Throws<UnsupportedOpException>(() => d.Kernels.MoePermute(s, tokens.Columns(0, 8), ids, permuted, src, slot, off));
        if (!d.Supports(OpKind.MoePermute, DType.F32))
        {
            return; // a partial backend refuses the op as a whole, just as early
        }

        Assert.Contains("tokens", ex.Message, StringComparison.Ordinal);
        Assert.All(s.Read<int>(off), v => Assert.Equal(77, v));

        // The same call, contiguous, is claimed.
        TensorView t8 = d.Allocate(DType.F32, 4, 8);
        s.Write<int>(ids, [0, 1, 1, 2, 3, 0, 2, 3]);
        d.Kernels.MoePermute(s, t8, ids, permuted, src, slot, off);
        Assert.Equal([0, 2, 4, 6, 8], s.Read<int>(off));
    }
}
