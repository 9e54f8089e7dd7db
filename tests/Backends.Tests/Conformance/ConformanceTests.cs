using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The conformance suite: every op × dtype × catalog shape (edge sizes, flags, special values) on every device,
/// outputs poisoned before the run and compared with the float64 reference. Written once, run on each device.
/// </summary>
public sealed class ConformanceTests
{
    public static TheoryData<string, string, string, int> Cases()
    {
        var data = new TheoryData<string, string, string, int>();
        foreach (string id in TestDevices.Ids)
        {
            foreach (OpSpec spec in OpCatalog.All)
            {
                foreach (DType dt in spec.DTypes)
                {
                    int n = Conformance.Plan(spec, dt, 0).Count;
                    for (int i = 0; i < n; i++)
                    {
                        data.Add(id, spec.Name, dt.ToShortName(), i);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Op_MatchesFloat64Reference(string device, string op, string dtype, int index)
    {
        Device d = TestDevices.Get(device);
        OpSpec spec = OpCatalog.Get(op);
        DType dt = DTypeExtensions.Parse(dtype);
        Assert.True(d.Supports(spec.Kind, dt), $"{device} does not support {op} {dtype}: every backend implements the whole op set.");
        PlannedCase pc = Conformance.Plan(spec, dt, Conformance.BaseSeed)[index];
        using DeviceStream stream = d.CreateStream();
        CheckResult r = Conformance.Run(d, stream, pc.Build());
        Assert.True(r.Passed, $"{device}: {r.Detail}; {Conformance.ReplayHint()}");
    }

    [Fact]
    public void Catalog_CoversEveryOp()
    {
        Assert.Equal(OpContracts.AllOps.OrderBy(o => o), OpCatalog.All.Select(s => s.Kind).OrderBy(o => o));
        foreach (OpSpec s in OpCatalog.All)
        {
            Assert.NotEmpty(s.ConformanceShapes(s.DTypes[0]));
            Assert.All(s.DTypes, t => Assert.True(s.Tolerance(t) > 0));
        }
    }
}
