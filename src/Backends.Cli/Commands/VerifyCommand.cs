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
    public static Command Create()
    {
        var device = new Option<string>("--device", "-d") { Description = "Device id (cpu:0, opencl:0), a backend name, 'all', or 'default'.", DefaultValueFactory = _ => "default" };
        var ops = new Option<string[]>("--op") { Description = "Op name(s) to verify (gemm, softmax, ...); default: all.", AllowMultipleArgumentsPerToken = true };
        var dtypes = new Option<string[]>("--dtype") { Description = "Dtype(s) to verify (f32, f16, bf16); default: all the op takes.", AllowMultipleArgumentsPerToken = true };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print every case, not only failures." };
        var command = new Command("verify", "Run the conformance cases (every op, dtype, edge shape and special value) against the float64 reference; exit 1 on any failure.")
        {
            device, ops, dtypes, verbose,
        };
        command.SetAction(pr => Run(BackendRegistry.CreateDefault(), pr.GetValue(device), pr.GetValue(ops), pr.GetValue(dtypes), pr.GetValue(verbose)));
        return command;
    }

    public static int Run(BackendRegistry registry, string? deviceArg, string[]? opNames, string[]? dtypeNames, bool verbose)
    {
        IReadOnlyList<string> ids = DeviceSelection.Resolve(registry, deviceArg);
        IReadOnlyList<OpSpec> specs = DeviceSelection.Ops(opNames);
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
            foreach (OpSpec spec in specs)
            {
                foreach (DType dt in spec.DTypes.Where(t => only is null || only.Contains(t)))
                {
                    IReadOnlyList<PlannedCase> plan = ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed);
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
                            r = ConformanceSuite.Run(device, stream, pc.Build());
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
