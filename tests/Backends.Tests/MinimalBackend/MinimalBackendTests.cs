using System;
using System.IO;
using System.Linq;
using Backends.Conformance;
using Spectre.Console;
using Xunit;

namespace Backends.Tests.MinimalBackend;

/// <summary>
/// A backend with buffers, streams, events and one op passes the whole conformance suite: its Add cases pass, and
/// every other case is reported unsupported, never failed, in the suite and in <c>backends verify</c>.
/// </summary>
[Collection("console")]
public sealed class MinimalBackendTests
{
    private static BackendRegistry Registry() => new BackendRegistry().Add(new MiniBackend());

    [Fact]
    public void Conformance_ClaimedCasesPass_EveryOtherCaseIsUnsupported()
    {
        using Device d = Registry().Open("mini:0");
        using DeviceStream stream = d.CreateStream();
        int passed = 0, unsupported = 0;
        foreach (OpSpec spec in OpCatalog.All)
        {
            foreach (DType dt in spec.DTypes)
            {
                foreach (PlannedCase pc in ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed))
                {
                    bool strided = pc.Shape.TryGet("pad", out int pad) && pad > 0;
                    bool claimed = spec.Kind == OpKind.Add && !strided;
                    CheckResult r = ConformanceSuite.Run(d, stream, pc.Build());
                    if (claimed)
                    {
                        Assert.True(r.Passed, $"{pc}: {r}; {ConformanceSuite.ReplayHint()}");
                        passed++;
                    }
                    else
                    {
                        Assert.True(r.Unsupported, $"{pc} should be unsupported on the minimal backend but is {r}");
                        unsupported++;
                    }
                }
            }
        }

        Assert.True(passed > 10, $"only {passed} Add cases ran");
        Assert.True(unsupported > 500, $"only {unsupported} cases were unsupported");
    }

    [Fact]
    public void Supports_ClaimsExactlyTheOverriddenOps()
    {
        using Device d = Registry().Open("mini:0");
        foreach (OpKind op in OpContracts.AllOps)
        {
            foreach (DType dt in OpContracts.DataTypes(op))
            {
                Assert.Equal(op == OpKind.Add, d.Supports(op, dt));
            }

            Assert.Equal(op == OpKind.Add ? ["ours"] : Array.Empty<string>(), d.Variants(op));
        }
    }

    [Fact]
    public void UnsupportedCall_IsRefusedBeforeAnythingIsQueued()
    {
        using Device d = Registry().Open("mini:0");
        using DeviceStream s = d.CreateStream();
        TensorView a = d.Allocate(DType.F32, 4, 4), b = d.Allocate(DType.F32, 4, 4), c = d.Allocate(DType.F32, 4, 4);
        s.Fill(c, 7f);
        var ex = Assert.Throws<UnsupportedOpException>(() => d.Kernels.Gemm(s, a, b, c));
        Assert.Equal(OpKind.Gemm, ex.Op);
        Assert.All(s.Read<float>(c), v => Assert.Equal(7f, v));

        // Add is claimed, but not for a row-strided view: refused for that call only.
        TensorView wide = d.Allocate(DType.F32, 4, 8), y = d.Allocate(DType.F32, 4, 4);
        s.Fill(y, 7f);
        Assert.Throws<UnsupportedOpException>(() => d.Kernels.Add(s, wide.Columns(0, 4), b, y));
        Assert.All(s.Read<float>(y), v => Assert.Equal(7f, v));
        d.Kernels.Add(s, a, b, y);
    }

    [Fact]
    public void EveryPublicCall_BindsTheContext()
    {
        using var d = (MiniDevice)Registry().Open("mini:0");
        long before = d.ContextEntries;

        // Each call below reaches a ...Core method that throws unless the context is bound.
        using DeviceStream s = d.CreateStream();
        TensorView a = d.Allocate(DType.F32, 2, 3), b = d.Allocate(DType.F32, 2, 3);
        s.Write<float>(a, [1, 2, 3, 4, 5, 6]);
        s.Fill(b, 1f);
        s.Copy(a, b);
        d.Kernels.Add(s, a, b, b);
        using DeviceEvent e0 = s.Record();
        s.Wait(e0);
        using DeviceEvent e1 = s.Record();
        Assert.True(e1.IsComplete);
        e1.Synchronize();
        Assert.True(e1.ElapsedMillisecondsSince(e0) >= 0);
        s.Synchronize();
        d.Synchronize();
        Assert.Equal([2f, 4, 6, 8, 10, 12], s.Read<float>(b));
        using ScratchBuffer scratch = d.Scratch.Rent(s, DType.F32, 5);
        a.Buffer.Dispose();
        Assert.True(d.ContextEntries - before >= 15, $"the context was entered {d.ContextEntries - before} times");
    }

    [Fact]
    public void Verify_ReportsUnsupportedApartFromFailed()
    {
        var output = new StringWriter();
        IAnsiConsole saved = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        int rc;
        try
        {
            rc = Backends.Cli.Commands.VerifyCommand.Run(Registry(), "mini:0", null, null, verbose: false);
        }
        finally
        {
            AnsiConsole.Console = saved;
        }

        string text = output.ToString();
        Assert.True(rc == 0, text);
        Assert.Contains("unsupported", text, StringComparison.Ordinal);
        Assert.Contains("claimed case(s) passed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", text, StringComparison.Ordinal);
    }
}
