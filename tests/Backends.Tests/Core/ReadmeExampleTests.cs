using System;
using Xunit;

namespace Backends.Tests;

/// <summary>The README's first program, as written there, must run.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void FirstProgram_Runs()
    {
        var registry = BackendRegistry.CreateDefault();
        using Device device = registry.OpenDefault();
        using DeviceStream stream = device.CreateStream();

        const int m = 64, n = 32, k = 128;
        TensorView a = device.Allocate(DType.F32, m, k);
        TensorView b = device.Allocate(DType.F32, n, k);
        TensorView c = device.Allocate(DType.F32, m, n);

        stream.Write<float>(a, new float[m * k]);
        stream.Write<float>(b, new float[n * k]);
        DeviceEvent start = stream.Record();
        device.Kernels.Gemm(stream, a, b, c, new GemmOptions { TransB = true });
        DeviceEvent end = stream.Record();
        float[] result = stream.Read<float>(c);
        Assert.Equal(m * n, result.Length);
        Assert.All(result, v => Assert.Equal(0f, v));
        Assert.True(end.ElapsedMillisecondsSince(start) >= 0);
    }
}
