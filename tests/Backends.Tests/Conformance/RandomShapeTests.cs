using System;
using System.Collections.Generic;
using System.Linq;
using Backends.Conformance;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// Random shapes beyond the catalog's (<see cref="RandomCases"/>, shared with <c>backends verify --random</c>): for
/// every device and op, <see cref="CasesPerOp"/> cases up to <see cref="MaxFlops"/> (on an emulator 12 up to 2e7) with
/// every axis drawn at random, at random view offsets, a third of those that can run in place in place, each checked
/// against the float64 reference like a catalog case. The cases come from the run's base seed alone; a failure names
/// the case and the base seed to replay. A run of this kind found a process crash (OpenCL F16 views off a 16-byte boundary), a wrong reference (2-D
/// causal softmax), two CANN results against the contract (NaN weights of dropped slots, a zero-sum router) and
/// position-dependent CPU tails.
/// </summary>
public sealed class RandomShapeTests
{
    /// <summary>Random cases per op and device (an emulator gets <see cref="EmulatorCasesPerOp"/>).</summary>
    private const int CasesPerOp = 24;

    /// <summary>Cases above this many FLOPs are drawn again (large enough for the CPU's blocked GEMM and its stealing).</summary>
    private const double MaxFlops = 1e8;

    /// <summary>Random cases per op on an emulated device, which runs kernels thousands of times slower.</summary>
    private const int EmulatorCasesPerOp = 12;

    /// <summary>The FLOP limit on an emulated device.</summary>
    private const double EmulatorMaxFlops = 2e7;

    /// <summary>Cases with more elements than this are drawn again.</summary>
    private const long MaxElements = 1 << 20;

    [Theory]
    [MemberData(nameof(TestDevices.DeviceOps), MemberType = typeof(TestDevices))]
    public void RandomShapes_MatchFloat64Reference(string device, string op)
    {
        Device d = TestDevices.Get(device);
        OpSpec spec = OpCatalog.Get(op);
        using DeviceStream stream = d.CreateStream();
        OpCase? current = null;
        try
        {
            bool emulator = TestDevices.IsEmulator(device);
            int count = emulator ? EmulatorCasesPerOp : CasesPerOp;
            IReadOnlyList<PlannedCase> plan = RandomCases.Plan(spec, ConformanceSuite.BaseSeed, count, emulator ? EmulatorMaxFlops : MaxFlops, MaxElements);
            Assert.Equal(count, plan.Count);
            foreach (PlannedCase pc in plan)
            {
                OpCase c = pc.Build();
                current = c;
                CheckResult r = ConformanceSuite.Run(d, stream, c, null, pc.ViewOffset, pc.InPlace);
                Assert.False(r.Unsupported, $"{device} refused a random case: {r.Detail}");
                Assert.True(r.Passed, $"{device}: {r.Detail} [{pc}]; {ConformanceSuite.ReplayHint()}");
            }
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.IAssertionException)
        {
            throw new InvalidOperationException($"{device} {op}: {ex.GetType().Name} after case [{current?.Description ?? "none yet"}]; {ConformanceSuite.ReplayHint()}", ex);
        }
    }
}
