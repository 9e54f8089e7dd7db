using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Linq;
using Spectre.Console;
using Backends.Conformance;

namespace Backends.Cli.Commands;

/// <summary><c>backends verify</c>: the conformance cases from the command line, a pass/fail table per op per device.</summary>
internal static class VerifyCommand
{
    /// <summary>The largest <c>--view-offset</c>: far past any vector or cache-line alignment, small beside any buffer.</summary>
    private const int MaxViewOffset = 4096;

    /// <summary>The most random cases per op <c>--random</c> takes.</summary>
    private const int MaxRandom = 100_000;

    /// <summary>Random cases above this many FLOPs are drawn again: the float64 reference of 1e9 FLOPs takes a few seconds.</summary>
    private const double MaxRandomFlops = 1e9;

    /// <summary>The FLOP limit of random cases on an emulated device (priority <see cref="DevicePriority.Emulator"/>).</summary>
    private const double MaxEmulatorFlops = 2e7;

    /// <summary>Random cases with more elements than this over all their tensors are drawn again.</summary>
    private const long MaxRandomElements = 1 << 24;

    public static Command Create()
    {
        var device = new Option<string>("--device", "-d") { Description = "Device id (cpu:0, opencl:0), a backend name, 'all', or 'default'.", DefaultValueFactory = _ => "default" };
        var ops = new Option<string[]>("--op") { Description = "Op name(s) to verify (gemm, softmax, ...); default: all.", AllowMultipleArgumentsPerToken = true };
        var dtypes = new Option<string[]>("--dtype") { Description = "Dtype(s) to verify (f32, f16, bf16); default: all the op takes.", AllowMultipleArgumentsPerToken = true };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print every case, not only failures." };
        var viewOffset = new Option<int>("--view-offset")
        {
            Description = "Place every contiguous tensor this many elements into a larger buffer, canary around it (an odd number starts every view unaligned).",
        };
        var inPlace = new Option<bool>("--in-place")
        {
            Description = "Run each case once per in-place use its op allows (softmax y=x, swiglu y=gate and y=up, ...), the output given the input's very view; ops without one are skipped.",
        };
        var random = new Option<int>("--random")
        {
            Description = "Instead of the catalog, N random cases per op (every axis drawn from the base seed, random view offsets, a third in place where the op allows; at most 1e9 FLOPs each, 2e7 on an emulator). Replay with BACKENDS_SEED.",
        };
        var command = new Command("verify", "Run the conformance cases (every op, dtype, edge shape and special value) against the float64 reference; exit 1 on any failure.")
        {
            device, ops, dtypes, verbose, viewOffset, inPlace, random,
        };
        command.SetAction(pr => Run(BackendRegistry.CreateDefault(), pr.GetValue(device), pr.GetValue(ops), pr.GetValue(dtypes), pr.GetValue(verbose), pr.GetValue(viewOffset), pr.GetValue(inPlace), pr.GetValue(random)));
        return command;
    }

    public static int Run(BackendRegistry registry, string? deviceArg, string[]? opNames, string[]? dtypeNames, bool verbose, int viewOffset = 0, bool inPlace = false, int random = 0)
    {
        if (viewOffset is < 0 or > MaxViewOffset)
        {
            throw new ArgumentOutOfRangeException(nameof(viewOffset), viewOffset, $"--view-offset must be 0..{MaxViewOffset}.");
        }

        if (random is < 0 or > MaxRandom)
        {
            throw new ArgumentOutOfRangeException(nameof(random), random, $"--random must be 0..{MaxRandom}.");
        }

        if (random > 0 && (inPlace || viewOffset != 0))
        {
            throw new ArgumentException("--random draws its own view offsets and in-place uses: leave out --view-offset and --in-place.", nameof(random));
        }

        IReadOnlyList<string> ids = DeviceSelection.Resolve(registry, deviceArg);
        IReadOnlyList<OpSpec> specs = DeviceSelection.Ops(opNames);
        if (inPlace)
        {
            specs = specs.Where(s => s.InPlaceUses.Count > 0).ToList();
            if (specs.Count == 0)
            {
                AnsiConsole.MarkupLine("[red]verify: none of the ops chosen can run in place[/] (those that can: "
                    + Markup.Escape(string.Join(", ", OpCatalog.All.Where(s => s.InPlaceUses.Count > 0).Select(s => s.Name))) + ")");
                return 1;
            }
        }

        HashSet<DType>? only = dtypeNames is { Length: > 0 } ? dtypeNames.SelectMany(s => s.Split(',')).Select(DTypeExtensions.Parse).ToHashSet() : null;
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(ConformanceSuite.ReplayHint())}[/]");
        int failures = 0, passes = 0, totalUnsupported = 0;
        foreach (string id in ids)
        {
            using Device device = registry.Open(id);
            using DeviceStream stream = device.CreateStream();
            var table = new Table().Title($"[bold]verify {Markup.Escape(id)}[/] ({Markup.Escape(device.Info.Name)})")
                .AddColumns("op", "dtype", "cases", "passed", "failed", "unsupported", "worst error", "tolerance", "time");
            var failed = new List<string>();
            // An emulator (cuda-emu) runs kernels thousands of times slower: its random cases stay small.
            bool emulator = BackendRegistry.TryParseId(id, out string backend, out int index) && registry.Find(backend)?.Devices[index].Priority == DevicePriority.Emulator;
            foreach (OpSpec spec in specs)
            {
                IReadOnlyList<PlannedCase> randomPlan = random > 0
                    ? RandomCases.Plan(spec, ConformanceSuite.BaseSeed, random, emulator ? MaxEmulatorFlops : MaxRandomFlops, MaxRandomElements, only)
                    : [];
                foreach (DType dt in spec.DTypes.Where(t => only is null || only.Contains(t)))
                {
                    // The catalog's cases (at the view offset asked for), with --in-place one run per in-place use each
                    // case can take; or the random cases drawn in this dtype.
                    List<PlannedCase> plan = random > 0 ? [.. randomPlan.Where(p => p.DType == dt)]
                        : inPlace ? [.. ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed).SelectMany(p => p.Build().InPlaceChoices.Select(u => p with { ViewOffset = viewOffset, InPlace = u }))]
                        : [.. ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed).Select(p => p with { ViewOffset = viewOffset })];
                    if (plan.Count == 0)
                    {
                        continue;
                    }

                    if (!device.Supports(spec.Kind, dt))
                    {
                        totalUnsupported += plan.Count;
                        table.AddRow(spec.Name, dt.ToShortName(), plan.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-", "-",
                            $"[grey]{plan.Count} (op not implemented)[/]", "-", "-", "-");
                        continue;
                    }

                    var sw = Stopwatch.StartNew();
                    int pass = 0, fail = 0, unsupported = 0;
                    double worst = 0, tol = 0;
                    foreach (PlannedCase pc in plan)
                    {
                        CheckResult r;
                        try
                        {
                            r = ConformanceSuite.Run(device, stream, pc.Build(), null, pc.ViewOffset, pc.InPlace);
                        }
#pragma warning disable CA1031 // a crashing case is a failed case, reported with its seed
                        catch (Exception ex)
#pragma warning restore CA1031
                        {
                            r = new CheckResult(false, double.PositiveInfinity, 0, $"{ex.GetType().Name}: {ex.Message} [{pc}]");
                        }

                        if (r.Unsupported)
                        {
                            unsupported++;
                            if (verbose)
                            {
                                AnsiConsole.MarkupLine($"  [grey]unsupported[/] {Markup.Escape(r.Detail)}");
                            }
                        }
                        else if (r.Passed)
                        {
                            pass++;
                            worst = Math.Max(worst, r.Error);
                            tol = Math.Max(tol, r.Tolerance);
                            if (verbose)
                            {
                                AnsiConsole.MarkupLine($"  [green]ok[/]   {Markup.Escape(pc.ToString())}  error {r.Error:E2}");
                            }
                        }
                        else
                        {
                            fail++;
                            failed.Add($"{id}: {r.Detail}");
                            AnsiConsole.MarkupLine($"  [red]FAIL[/] {Markup.Escape(r.Detail)}");
                        }
                    }

                    failures += fail;
                    passes += pass;
                    totalUnsupported += unsupported;
                    table.AddRow(
                        spec.Name, dt.ToShortName(), (pass + fail + unsupported).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        $"[green]{pass}[/]", fail == 0 ? "0" : $"[red]{fail}[/]",
                        unsupported == 0 ? "0" : $"[grey]{unsupported}[/]",
                        worst.ToString("E2", System.Globalization.CultureInfo.InvariantCulture),
                        tol.ToString("E1", System.Globalization.CultureInfo.InvariantCulture),
                        Format.Time(sw.Elapsed.TotalMilliseconds));
                }
            }

            AnsiConsole.Write(table);
            DiagnosticsReport.Print(device);
        }

        string tail = totalUnsupported == 0 ? string.Empty : $", {totalUnsupported} unsupported (not claimed by the device, skipped)";
        if (failures > 0)
        {
            AnsiConsole.MarkupLine($"[red]verify: {failures} case(s) failed[/], {passes} passed{Markup.Escape(tail)} ({Markup.Escape(ConformanceSuite.ReplayHint())})");
            return 1;
        }

        if (passes == 0)
        {
            AnsiConsole.MarkupLine($"[red]verify: no case ran[/]{Markup.Escape(tail)}: nothing was checked");
            return 1;
        }

        AnsiConsole.MarkupLine($"[green]verify: all {passes} claimed case(s) passed[/]{Markup.Escape(tail)}");
        return 0;
    }
}
