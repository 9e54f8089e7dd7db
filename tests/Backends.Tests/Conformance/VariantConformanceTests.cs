using System.Collections.Generic;
using System.Linq;
using Xunit;
using Backends.Conformance;

namespace Backends.Tests;

/// <summary>
/// Every non-default kernel variant of every device (CLBlast's GEMM, the other row-reduction strategy, ...) passes the
/// same conformance cases as the default, for every dtype it claims to support. Variants are found at run time.
/// </summary>
public sealed class VariantConformanceTests
{
    /// <summary>(device, op, variant) for every variant other than "ours" of every device present here.</summary>
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string id in TestDevices.Ids.Where(i => TestDevices.WhyMissing(i) is null))
        {
            Device d = TestDevices.Get(id);
            foreach (OpSpec spec in OpCatalog.All)
            {
                foreach (string variant in d.Variants(spec.Kind).Where(v => v != "ours"))
                {
                    data.Add(id, spec.Name, variant);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Variant_MatchesFloat64Reference(string device, string op, string variant)
    {
        Device d = TestDevices.Get(device);
        OpSpec spec = OpCatalog.Get(op);
        var failures = new List<string>();
        int ran = 0;
        using DeviceStream stream = d.CreateStream();
        {
            IKernels kernels = d.GetVariant(variant);
            foreach (DType dt in spec.DTypes.Where(t => kernels.Supports(spec.Kind, t)))
            {
                foreach (PlannedCase pc in ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed))
                {
                    OpCase c = pc.Build();

                    // A variant may take fewer calls (CLBlast writes f32 C only): it refuses those up front, as unsupported.
                    CheckResult r = ConformanceSuite.Run(d, stream, c, kernels);
                    if (r.Unsupported)
                    {
                        continue;
                    }

                    ran++;
                    if (!r.Passed)
                    {
                        failures.Add($"{variant}: {r.Detail}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures) + $"\n{ConformanceSuite.ReplayHint()}");
        Assert.True(ran > 0, $"variant {variant} of {op} on {device} ran no case: it supports no dtype of the op");
    }
}
