using System;
using System.IO;
using System.Linq;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU vendor and family the kernels switch on (<c>CpuCaches.IsIntel</c>, <c>CpuCaches.IsAmdFamily19h</c>, read from
/// CPUID) against what Linux reports in /proc/cpuinfo (vendor_id, cpu family), where it reports them.
/// </summary>
public sealed class CpuVendorTests
{
    [Fact]
    public void VendorAndFamily_MatchProcCpuinfo()
    {
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            // No CPUID: neither vendor switch may be on.
            Assert.False(CpuCaches.IsIntel);
            Assert.False(CpuCaches.IsAmdFamily19h);
            return;
        }

        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo"))
        {
            return; // nothing here to compare CPUID with
        }

        string[] lines = File.ReadAllLines("/proc/cpuinfo");
        string? Field(string name) => lines
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
            .FirstOrDefault();

        string? vendor = Field("vendor_id");
        string? family = Field("cpu family");
        Assert.NotNull(vendor);
        Assert.NotNull(family);
        Assert.Equal(vendor == "GenuineIntel", CpuCaches.IsIntel);
        Assert.Equal(vendor == "AuthenticAMD" && int.Parse(family!, System.Globalization.CultureInfo.InvariantCulture) == 0x19, CpuCaches.IsAmdFamily19h);
    }
}
