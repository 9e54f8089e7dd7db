using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using Backends.Conformance;

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
                    int n = ConformanceSuite.Plan(spec, dt, 0).Count;
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
        PlannedCase pc = ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed)[index];
        using DeviceStream stream = d.CreateStream();
        CheckResult r = ConformanceSuite.Run(d, stream, pc.Build());
        // Every registered backend is complete (TestDevices.Complete): a case it refuses is a defect, never a skip.
        // (A partial backend, such as the test project's MinimalBackend, is checked in its own tests.)
        Assert.False(r.Unsupported, $"{device} refused a case of the catalog: {r.Detail}");
        Assert.True(TestDevices.Complete.Contains(device.Split(':')[0]), $"{device}'s backend is not in TestDevices.Complete");

        Assert.True(r.Passed, $"{device}: {r.Detail}; {ConformanceSuite.ReplayHint()}");
    }

    /// <summary>Every device × op × dtype, for the view-offset test below.</summary>
    public static TheoryData<string, string, string> OpsByDevice()
    {
        var data = new TheoryData<string, string, string>();
        foreach (string id in TestDevices.Ids)
        {
            foreach (OpSpec spec in OpCatalog.All)
            {
                foreach (DType dt in spec.DTypes)
                {
                    data.Add(id, spec.Name, dt.ToShortName());
                }
            }
        }

        return data;
    }

    /// <summary>
    /// Whether a catalog case is small enough for the placement tests (view offsets, in place), which run every device's
    /// smaller cases again: at most 2e7 FLOPs and 2^18 elements.
    /// </summary>
    private static bool IsSmall(OpCase c) => c.Flops <= 2e7 && c.Tensors.Sum(t => t.Values.LongLength) <= (1 << 18);

    /// <summary>
    /// The catalog's smaller cases (special values included) with every contiguous tensor placed an odd number of
    /// elements into a larger buffer, canary around it, as a slice of an activation arena or of a batch is: no vector
    /// path may assume its view starts aligned, and nothing outside the view may be written. (PoCL compiled the F16
    /// <c>vload_half8</c> of OpenCL's silu and swiglu to an aligned load that killed the process on such a view.)
    /// </summary>
    [Theory]
    [MemberData(nameof(OpsByDevice))]
    public void Op_MatchesFloat64Reference_WithViewsOffTheirBufferStart(string device, string op, string dtype)
    {
        Device d = TestDevices.Get(device);
        OpSpec spec = OpCatalog.Get(op);
        DType dt = DTypeExtensions.Parse(dtype);
        using DeviceStream stream = d.CreateStream();
        int ran = 0;
        foreach (PlannedCase pc in ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed))
        {
            OpCase c = pc.Build();
            if (!IsSmall(c))
            {
                continue;
            }

            int offset = 1 + (2 * (ran % 3)); // 1, 3, 5: off every vector and pair boundary, in every dtype
            CheckResult r = ConformanceSuite.Run(d, stream, c, viewOffset: offset);
            Assert.False(r.Unsupported, $"{device} refused a case of the catalog at a view offset: {r.Detail}");
            Assert.True(r.Passed, $"{device}: {r.Detail}; {ConformanceSuite.ReplayHint()}");
            ran++;
        }

        Assert.True(ran >= 3, $"only {ran} case(s) of {op} {dtype} are small enough for the view-offset test");
    }

    /// <summary>Every device × op × dtype × in-place use the contract allows (<see cref="OpSpec.InPlaceUses"/>).</summary>
    public static TheoryData<string, string, string, string> InPlaceUses()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (string id in TestDevices.Ids)
        {
            foreach (OpSpec spec in OpCatalog.All)
            {
                foreach (DType dt in spec.DTypes)
                {
                    foreach (InPlace use in spec.InPlaceUses)
                    {
                        data.Add(id, spec.Name, dt.ToShortName(), use.ToString());
                    }
                }
            }
        }

        return data;
    }

    /// <summary>
    /// The in-place uses the contract allows (<c>Softmax(x, x)</c>, <c>Add(a, b, a)</c>, <c>SwiGlu(gate, up, up)</c>, …):
    /// the catalog's smaller cases, special values and strided views included, with the output given the very view
    /// of the input, every other view offset 0 or odd. A kernel that reads an input element after writing its
    /// output (a multi-pass row, a vector tail, a rotation's pair) would show here.
    /// </summary>
    [Theory]
    [MemberData(nameof(InPlaceUses))]
    public void Op_InPlace_MatchesFloat64Reference(string device, string op, string dtype, string use)
    {
        Device d = TestDevices.Get(device);
        OpSpec spec = OpCatalog.Get(op);
        DType dt = DTypeExtensions.Parse(dtype);
        InPlace inPlace = spec.InPlaceUses.Single(u => u.ToString() == use);
        using DeviceStream stream = d.CreateStream();
        int ran = 0;
        foreach (PlannedCase pc in ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed))
        {
            OpCase c = pc.Build();
            if (!IsSmall(c) || !c.InPlaceChoices.Contains(inPlace))
            {
                continue;
            }

            int offset = ran % 2 == 0 ? 0 : ran % 4 == 1 ? 1 : 3;
            CheckResult r = ConformanceSuite.Run(d, stream, c, null, offset, inPlace);
            Assert.False(r.Unsupported, $"{device} refused an in-place case ({use}): {r.Detail}");
            Assert.True(r.Passed, $"{device}: {r.Detail}; {ConformanceSuite.ReplayHint()}");
            ran++;
        }

        Assert.True(ran >= 3, $"only {ran} case(s) of {op} {dtype} can run with {use} in place");
    }

    /// <summary>
    /// The same call gives the same bits every time: for each dtype, the op's two largest catalog cases under a size
    /// limit (large enough for the CPU to split a GEMM over its workers and steal), run three times on fresh buffers,
    /// every output compared byte for byte. Work stealing, atomics or a reduction split that changed with timing would
    /// show here (reproducible runs are what a user bisecting a model's numbers needs).
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDevices.DeviceOps), MemberType = typeof(TestDevices))]
    public void Op_GivesTheSameBitsEveryRun(string device, string op)
    {
        Device d = TestDevices.Get(device);
        OpSpec spec = OpCatalog.Get(op);
        bool emulator = TestDevices.IsEmulator(device);
        double maxFlops = emulator ? 2e7 : 5e8;
        long maxElements = emulator ? 1 << 16 : 1 << 22;
        using DeviceStream stream = d.CreateStream();
        foreach (DType dt in spec.DTypes)
        {
            IEnumerable<OpCase> largest = ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed)
                .Select(p => p.Build())
                .Where(c => c.Flops <= maxFlops && c.Tensors.Sum(t => t.Values.LongLength) <= maxElements)
                .OrderByDescending(c => c.Flops)
                .Take(2);
            foreach (OpCase c in largest)
            {
                byte[][]? first = null;
                for (int run = 0; run < 3; run++)
                {
                    using OpRun r = c.Prepare(d, stream);
                    r.Launch(stream);
                    byte[][] outputs = [.. c.Tensors.Where(t => t.Role != TensorRole.Input).Select(t =>
                    {
                        TensorView v = r.View(t.Name);
                        var bytes = new byte[v.SizeInBytes];
                        stream.ReadBytes(v, bytes);
                        return bytes;
                    })];
                    first ??= outputs;
                    for (int o = 0; o < outputs.Length; o++)
                    {
                        Assert.True(outputs[o].AsSpan().SequenceEqual(first[o]), $"{device}: run {run} of [{c.Description}] gave other bits than run 0; {ConformanceSuite.ReplayHint()}");
                    }
                }
            }
        }
    }

    /// <summary>The complete backends claim every case of the catalog, strided ones included: for them an unsupported case is a defect.</summary>
    public static TheoryData<string> CompleteDevices() => [.. TestDevices.Ids.Where(id => TestDevices.Complete.Contains(id.Split(':')[0]))];

    [Theory]
    [MemberData(nameof(CompleteDevices))]
    public void Backend_ClaimsEveryCase(string device)
    {
        Device d = TestDevices.Get(device);
        var missing = new System.Collections.Generic.List<string>();
        using DeviceStream stream = d.CreateStream();
        foreach (OpSpec spec in OpCatalog.All)
        {
            foreach (DType dt in spec.DTypes)
            {
                if (!d.Supports(spec.Kind, dt))
                {
                    missing.Add($"{spec.Name} {dt.ToShortName()}");
                    continue;
                }

                foreach (PlannedCase pc in ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed).Where(p => p.Shape.TryGet("pad", out int pad) && pad > 0))
                {
                    // Strided calls: asked per call, with the views the case really uses.
                    CheckResult r = ConformanceSuite.Run(d, stream, pc.Build());
                    if (r.Unsupported)
                    {
                        missing.Add(pc.ToString());
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, $"{device} is a complete backend but does not claim: {string.Join("; ", missing)}");
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
