using System;
using System.Collections.Generic;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

public sealed class RegistryTests
{
    [Theory]
    [InlineData("cpu:0", "cpu", 0)]
    [InlineData("opencl:12", "opencl", 12)]
    [InlineData("CUDA", "cuda", 0)]
    public void ParseId(string id, string backend, int index)
    {
        Assert.True(BackendRegistry.TryParseId(id, out string b, out int i));
        Assert.Equal(backend, b);
        Assert.Equal(index, i);
    }

    [Theory]
    [InlineData("")]
    [InlineData("cpu:x")]
    [InlineData(":0")]
    [InlineData("cpu:-1")]
    public void ParseId_Rejects(string id) => Assert.False(BackendRegistry.TryParseId(id, out _, out _));

    [Fact]
    public void Open_UnknownBackend_ThrowsClearly()
    {
        var r = new BackendRegistry().AddCpu();
        ArgumentException ex = Assert.Throws<ArgumentException>(() => r.Open("tpu:0"));
        Assert.Contains("cpu", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Open("cpu:3"));
    }

    [Fact]
    public void FailingProbe_GivesUnavailableWithReason_NeverThrows()
    {
        var r = new BackendRegistry().AddCpu().Add(new ThrowingBackend());
        Backend b = r.Find("broken")!;
        Assert.False(b.IsAvailable);
        Assert.Contains("libbroken.so", b.UnavailableReason, StringComparison.Ordinal);
        Assert.Empty(b.Devices);
        BackendUnavailableException ex = Assert.Throws<BackendUnavailableException>(() => r.Open("broken:0"));
        Assert.Contains("libbroken.so", ex.Message, StringComparison.Ordinal);
        Assert.Equal("cpu:0", r.DefaultDevice().Id);
    }

    [Fact]
    public void AddingTwice_Throws() => Assert.Throws<ArgumentException>(() => new BackendRegistry().AddCpu().AddCpu());

    [Fact]
    public void DefaultDevice_PrefersHigherPriority()
    {
        var r = new BackendRegistry().AddCpu();
        Assert.Equal("cpu:0", r.DefaultDevice().Id);
        using Device d = r.OpenDefault();
        Assert.Equal(DeviceKind.Cpu, d.Info.Kind);
        Assert.True(d.Info.ComputeUnits >= 1);
        Assert.True(d.Info.MemoryBytes > 0);
    }

    private sealed class ThrowingBackend : Backend
    {
        public ThrowingBackend()
            : base("broken")
        {
        }

        protected override IReadOnlyList<DeviceInfo> ProbeDevices() => throw new DllNotFoundException("libbroken.so: cannot open shared object file");

        protected override Device OpenCore(DeviceInfo info) => throw new InvalidOperationException("unreachable");
    }
}
