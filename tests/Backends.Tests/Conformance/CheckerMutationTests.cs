using System;
using System.Linq;
using Backends.Cpu;
using Xunit;
using Backends.Conformance;

namespace Backends.Tests;

/// <summary>Proves the conformance check can fail: kernels that skip their output or corrupt one element are rejected for every op and dtype.</summary>
public sealed class CheckerMutationTests
{
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (OpSpec spec in OpCatalog.All)
        {
            foreach (DType dt in spec.DTypes)
            {
                data.Add(spec.Name, dt.ToShortName(), "Skip");
                data.Add(spec.Name, dt.ToShortName(), "Perturb");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BrokenKernel_IsRejected(string op, string dtype, string mutation)
    {
        var cpu = (CpuDevice)TestDevices.Get("cpu:0");
        OpSpec spec = OpCatalog.Get(op);
        DType dt = DTypeExtensions.Parse(dtype);

        // The first non-empty conformance shape of the op, without special values.
        PlannedCase pc = ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed).First(p => !p.Specials && p.Build().Tensors.All(t => t.Values.Length > 0));
        using DeviceStream stream = cpu.CreateStream();
        var mutant = new MutantKernels(cpu, Enum.Parse<MutantKernels.Mutation>(mutation));
        CheckResult broken = ConformanceSuite.Run(cpu, stream, pc.Build(), mutant);
        Assert.False(broken.Unsupported, $"the mutant refused {pc}: {broken.Detail}");
        Assert.False(broken.Passed, $"{mutation} kernels passed the check for {pc}: the check cannot see that failure.");
        CheckResult real = ConformanceSuite.Run(cpu, stream, pc.Build());
        Assert.True(real.Passed, real.Detail);
    }

    /// <summary>(op, dtype) of every op whose catalog has strided cases.</summary>
    public static TheoryData<string, string> StridedCases()
    {
        var data = new TheoryData<string, string>();
        foreach (OpSpec spec in OpCatalog.All)
        {
            foreach (DType dt in spec.DTypes)
            {
                if (ConformanceSuite.Plan(spec, dt, 0).Any(p => p.Shape.TryGet("pad", out int pad) && pad > 0))
                {
                    data.Add(spec.Name, dt.ToShortName());
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StridedCases))]
    public void KernelWritingIntoStridedGap_IsRejected(string op, string dtype)
    {
        var cpu = (CpuDevice)TestDevices.Get("cpu:0");
        OpSpec spec = OpCatalog.Get(op);
        DType dt = DTypeExtensions.Parse(dtype);
        PlannedCase pc = ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed).First(p => p.Shape.TryGet("pad", out int pad) && pad > 0);
        using DeviceStream stream = cpu.CreateStream();
        var mutant = new MutantKernels(cpu, MutantKernels.Mutation.Spill);
        CheckResult broken = ConformanceSuite.Run(cpu, stream, pc.Build(), mutant);
        Assert.False(broken.Unsupported, $"the mutant refused {pc}: {broken.Detail}");
        Assert.False(broken.Passed, $"a kernel that wrote into the gap of a strided output passed the check for {pc}.");
        Assert.Contains("gap", broken.Detail, StringComparison.Ordinal);
    }

    /// <summary>(op, dtype, use) of every in-place use the contract allows.</summary>
    public static TheoryData<string, string, string> InPlaceCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (OpSpec spec in OpCatalog.All)
        {
            foreach (DType dt in spec.DTypes)
            {
                foreach (InPlace use in spec.InPlaceUses)
                {
                    data.Add(spec.Name, dt.ToShortName(), use.ToString());
                }
            }
        }

        return data;
    }

    /// <summary>A kernel that reads its input again after writing its output passes apart and must fail in place.</summary>
    [Theory]
    [MemberData(nameof(InPlaceCases))]
    public void KernelNotSafeInPlace_IsRejectedInPlace(string op, string dtype, string use)
    {
        var cpu = (CpuDevice)TestDevices.Get("cpu:0");
        OpSpec spec = OpCatalog.Get(op);
        DType dt = DTypeExtensions.Parse(dtype);
        InPlace inPlace = spec.InPlaceUses.Single(u => u.ToString() == use);
        PlannedCase pc = ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed)
            .First(p => !p.Specials && p.Build() is OpCase c && c.InPlaceChoices.Contains(inPlace) && c.Tensors.All(t => t.Values.Length > 1));
        using DeviceStream stream = cpu.CreateStream();
        var mutant = new MutantKernels(cpu, MutantKernels.Mutation.Twice);
        CheckResult apart = ConformanceSuite.Run(cpu, stream, pc.Build(), mutant);
        Assert.True(apart.Passed, $"the op run twice should pass with separate outputs: {apart.Detail}");
        CheckResult broken = ConformanceSuite.Run(cpu, stream, pc.Build(), mutant, 0, inPlace);
        Assert.False(broken.Unsupported, $"the mutant refused {pc} in place: {broken.Detail}");
        Assert.False(broken.Passed, $"a kernel reading its input after writing its output passed the in-place check for {pc} ({use}).");
        Assert.Contains("in place", broken.Detail, StringComparison.Ordinal);
    }

    /// <summary>An in-place use the case cannot take (a broadcast row as add's output, any GEMM operand) is refused before anything is allocated.</summary>
    [Fact]
    public void InPlaceUseTheCaseCannotTake_IsRefused()
    {
        Device cpu = TestDevices.Get("cpu:0");
        using DeviceStream stream = cpu.CreateStream();
        OpCase broadcastAdd = OpCatalog.Get("add").CreateCase(new OpShape([("rows", 3), ("cols", 5), ("bcast", 1)]), DType.F32, 1);
        Assert.Equal([new InPlace("y", "a")], broadcastAdd.InPlaceChoices);
        ArgumentException ex = Assert.Throws<ArgumentException>(() => broadcastAdd.Prepare(cpu, stream, 0, new InPlace("y", "b")));
        Assert.Contains("y=a", ex.Message, StringComparison.Ordinal);
        OpCase gemm = OpCatalog.Get("gemm").CreateCase(new OpShape([("M", 4), ("N", 4), ("K", 4)]), DType.F32, 1);
        Assert.Empty(gemm.InPlaceChoices);
        Assert.Throws<ArgumentException>(() => gemm.Prepare(cpu, stream, 0, new InPlace("c", "a")));
    }
}
