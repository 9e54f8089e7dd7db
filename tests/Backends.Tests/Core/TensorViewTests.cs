using System;
using Xunit;

namespace Backends.Tests;

public sealed class TensorViewTests
{
    private static Device Cpu => TestDevices.Get("cpu:0");

    [Fact]
    public void Allocate_GivesRowMajorView()
    {
        TensorView v = Cpu.Allocate(DType.F16, 3, 4, 5);
        using DeviceBuffer b = v.Buffer;
        Assert.Equal(60, v.ElementCount);
        Assert.Equal(120, v.SizeInBytes);
        Assert.Equal(5, v.Dim(-1));
        Assert.Equal(3, v.Dim(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Dim(3));
    }

    [Fact]
    public void Slice_And_Reshape()
    {
        TensorView v = Cpu.Allocate(DType.F32, 6, 4);
        using DeviceBuffer b = v.Buffer;
        TensorView s = v.Slice(2, 3);
        Assert.Equal(8, s.Offset);
        Assert.Equal([3, 4], s.Shape);
        Assert.Equal([12], s.Reshape(12).Shape);
        Assert.Throws<ArgumentException>(() => s.Reshape(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Slice(5, 2));
    }

    [Fact]
    public void Overlap_And_Identity()
    {
        TensorView v = Cpu.Allocate(DType.F32, 10);
        using DeviceBuffer b = v.Buffer;
        Assert.True(v.Slice(0, 5).Overlaps(v.Slice(4, 3)));
        Assert.False(v.Slice(0, 5).Overlaps(v.Slice(5, 5)));
        Assert.True(v.Slice(2, 3).IsSameAs(v.Slice(2, 3)));
        Assert.False(v.Slice(0, 0).Overlaps(v));
    }

    [Fact]
    public void View_PastEnd_Throws()
    {
        using DeviceBuffer b = Cpu.AllocateBuffer(DType.I32, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorView(b, 5, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorView(b, -1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorView(b, 0, 2, -1));
        Assert.Throws<ArgumentException>(() => b.View(3, 4));
    }

    [Fact]
    public void Allocate_NegativeLength_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.AllocateBuffer(DType.F32, -1));

    [Fact]
    public void DType_Facts()
    {
        Assert.Equal(2, DType.BF16.SizeInBytes());
        Assert.Equal(typeof(Half), DType.F16.ClrType());
        Assert.Equal(DType.BF16, DTypeExtensions.Parse("bf16"));
        Assert.Equal(DType.F32, DTypeExtensions.Parse("F32"));
        Assert.Throws<FormatException>(() => DTypeExtensions.Parse("f64"));
    }
}
