using System;
using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary>Memory, stream and event semantics, on every device.</summary>
public sealed class StreamTests
{
    public static TheoryData<string> Devices()
    {
        var data = new TheoryData<string>();
        foreach (string id in TestDevices.Ids)
        {
            data.Add(id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void WriteRead_RoundTripsEveryDType(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        RoundTrip(d, s, Enumerable.Range(0, 37).Select(i => i * 0.5f - 3).ToArray());
        RoundTrip(d, s, Enumerable.Range(0, 37).Select(i => (Half)(i * 0.25f)).ToArray());
        RoundTrip(d, s, Enumerable.Range(0, 37).Select(i => (BFloat16)(i * -0.125f)).ToArray());
        RoundTrip(d, s, Enumerable.Range(0, 37).Select(i => i * 1000 - 7).ToArray());
        RoundTrip(d, s, Enumerable.Range(0, 37).Select(i => (sbyte)(i - 18)).ToArray());
        RoundTrip(d, s, Enumerable.Range(0, 37).Select(i => (byte)(i * 7)).ToArray());
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Fill_And_Copy_TouchOnlyTheirViews(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        TensorView a = d.Allocate(DType.F16, 10);
        TensorView b = d.Allocate(DType.F16, 10);
        using DeviceBuffer ab = a.Buffer, bb = b.Buffer;
        s.Fill(a, (Half)1.5f);
        s.Fill(b, (Half)(-2f));
        s.Fill(a.Slice(3, 4), (Half)7f);
        s.Copy(a.Slice(2, 5), b.Slice(5, 5));
        Half[] ra = s.Read<Half>(a), rb = s.Read<Half>(b);
        Assert.Equal(new float[] { 1.5f, 1.5f, 1.5f, 7, 7, 7, 7, 1.5f, 1.5f, 1.5f }, ra.Select(h => (float)h));
        Assert.Equal(new float[] { -2, -2, -2, -2, -2, 1.5f, 7, 7, 7, 7 }, rb.Select(h => (float)h));
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void WaitOnEvent_OrdersTwoStreams(string device)
    {
        Device d = TestDevices.Get(device);
        RequireOp(d, OpKind.Gemm);
        using DeviceStream producer = d.CreateStream();
        using DeviceStream consumer = d.CreateStream();
        const int n = 384;
        TensorView a = d.Allocate(DType.F32, n, n), c = d.Allocate(DType.F32, n, n), copy = d.Allocate(DType.F32, n, n);
        using DeviceBuffer ab = a.Buffer, cb = c.Buffer, pb = copy.Buffer;
        producer.Fill(a, 1f);
        producer.Fill(c, float.NaN);
        consumer.Fill(copy, -1f);
        consumer.Synchronize();
        d.Kernels.Gemm(producer, a, a, c);          // slow enough that an unordered copy would see NaN
        DeviceEvent done = producer.Record();
        consumer.Wait(done);
        consumer.Copy(c, copy);
        float[] result = consumer.Read<float>(copy);
        Assert.All(result, v => Assert.Equal(n, v));
        Assert.True(done.IsComplete);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Events_MeasureElapsedTime(string device)
    {
        Device d = TestDevices.Get(device);
        RequireOp(d, OpKind.Gemm);
        using DeviceStream s = d.CreateStream();
        TensorView a = d.Allocate(DType.F32, 256, 256), c = d.Allocate(DType.F32, 256, 256);
        using DeviceBuffer ab = a.Buffer, cb = c.Buffer;
        s.Fill(a, 0.5f);
        using DeviceEvent start = s.Record();
        d.Kernels.Gemm(s, a, a, c);
        using DeviceEvent end = s.Record();
        double ms = end.ElapsedMillisecondsSince(start);
        Assert.True(ms > 0, $"elapsed {ms} ms");
        Assert.True(end.ElapsedSince(start) >= TimeSpan.Zero);
        Assert.True(start.IsComplete && end.IsComplete);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void DisposingDevice_DisposesLeftovers(string device)
    {
        TestDevices.Get(device); // skip or fail as the device's presence says
        Device d = TestDevices.Registry.Open(device);
        TensorView v = d.Allocate(DType.F32, 16);
        DeviceStream s = d.CreateStream();
        s.Fill(v, 2f);
        d.Dispose();
        Assert.True(v.Buffer.IsDisposed);
        Assert.True(s.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => s.Synchronize());
        Assert.Throws<ObjectDisposedException>(() => d.Allocate(DType.F32, 4));
        Assert.Throws<ObjectDisposedException>(() => d.CreateStream());
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void DisposingInputs_WhileQueued_IsSafe(string device)
    {
        Device d = TestDevices.Get(device);
        RequireOp(d, OpKind.Gemm);
        using DeviceStream s = d.CreateStream();
        TensorView a = d.Allocate(DType.F32, 300, 300), c = d.Allocate(DType.F32, 300, 300);
        using DeviceBuffer cb = c.Buffer;
        s.Fill(a, 1f);
        d.Kernels.Gemm(s, a, a, c);
        a.Buffer.Dispose();                         // the queued GEMM still owns its memory
        Assert.All(s.Read<float>(c), v => Assert.Equal(300f, v));
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void EmptyViews_AreNoOps(string device)
    {
        Device d = TestDevices.Get(device);
        RequireOp(d, OpKind.Softmax);
        using DeviceStream s = d.CreateStream();
        TensorView x = d.Allocate(DType.F32, 0, 8), y = d.Allocate(DType.F32, 0, 8);
        using DeviceBuffer xb = x.Buffer, yb = y.Buffer;
        d.Kernels.Silu(s, x, y);
        d.Kernels.Softmax(s, x, y);
        s.Fill(x, 1f);
        s.Copy(x, y);
        s.Write<float>(x, []);
        Assert.Empty(s.Read<float>(y));
    }

    private static void RoundTrip<T>(Device d, DeviceStream s, T[] values)
        where T : unmanaged
    {
        DType t = DTypeExtensions.Of<T>()!.Value;
        TensorView v = d.Allocate(t, values.Length);
        using DeviceBuffer b = v.Buffer;
        s.Write<T>(v, values);
        Assert.Equal(values, s.Read<T>(v));
        var partial = new T[5];
        s.Read(v.Slice(7, 5), partial.AsSpan());
        Assert.Equal(values.Skip(7).Take(5), partial);
    }

    /// <summary>Fails on a device that does not implement the op this test drives its streams with: every registered backend is complete.</summary>
    internal static void RequireOp(Device d, OpKind op) =>
        Assert.True(d.Supports(op, DType.F32), $"{d.Id} does not implement {op}, which this test uses (every registered backend must)");
}
