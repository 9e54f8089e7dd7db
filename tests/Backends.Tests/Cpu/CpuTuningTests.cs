using System;
using System.Linq;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU tuning profile: chosen from the CPU's vendor and family, overridden by <c>BACKENDS_CPU_TUNING</c> (any case,
/// surrounding spaces ignored), an unknown value ignored and said so; the kernels' switches read this process's
/// profile, and the device reports it.
/// </summary>
public sealed class CpuTuningTests
{
    [Theory]
    [InlineData(true, false, "intel")]
    [InlineData(false, true, "zen4")]
    [InlineData(false, false, "generic")]
    public void NoSetting_ChoosesTheDetectedProfile(bool intel, bool zen4, string want)
    {
        foreach (string? setting in new[] { null, string.Empty, "  " })
        {
            (CpuTuning profile, string why) = CpuTuning.Select(setting, intel, zen4);
            Assert.Equal(want, profile.Name);
            Assert.StartsWith("CPUID", why, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("intel", "intel")]
    [InlineData("ZEN4", "zen4")]
    [InlineData(" Generic ", "generic")]
    public void Setting_OverridesTheDetection(string setting, string want)
    {
        foreach ((bool intel, bool zen4) in new[] { (true, false), (false, true), (false, false) })
        {
            (CpuTuning profile, string why) = CpuTuning.Select(setting, intel, zen4);
            Assert.Equal(want, profile.Name);
            Assert.StartsWith("BACKENDS_CPU_TUNING", why, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void UnknownSetting_IsIgnoredAndSaidSo()
    {
        (CpuTuning profile, string why) = CpuTuning.Select("zen5", false, true);
        Assert.Same(CpuTuning.Zen4, profile);
        Assert.Contains("'zen5' ignored", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Profiles_HaveDistinctNames_AndValidRunCounts()
    {
        Assert.Equal(CpuTuning.All.Length, CpuTuning.All.Select(t => t.Name).Distinct().Count());
        Assert.All(CpuTuning.All, t => Assert.Contains(t.OneRowRuns, new[] { 4, 8 }));
    }

    [Fact]
    public void ThisProcess_UsesTheSelectedProfile_AndTheDeviceReportsIt()
    {
        (CpuTuning want, _) = CpuTuning.Select(Environment.GetEnvironmentVariable("BACKENDS_CPU_TUNING"), CpuCaches.IsIntel, CpuCaches.IsAmdFamily19h);
        Assert.Same(want, CpuTuning.Current);
        Assert.Equal(want.OneRowRuns, CpuGemm.OneRowRuns);
        Assert.Equal(want.UnpermuteFetchesAlways, CpuFused.FetchesNextToken(8));
        Assert.True(CpuFused.FetchesNextToken(4));

        DeviceInfo info = new BackendRegistry().AddCpu().Devices.Single(d => d.Id == "cpu:0");
        string tuning = info.Facts.Single(f => f.Key == "tuning").Value;
        Assert.StartsWith(want.Name + " (", tuning, StringComparison.Ordinal);
    }
}
