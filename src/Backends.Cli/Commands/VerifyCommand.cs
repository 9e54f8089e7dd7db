using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Linq;
using Spectre.Console;

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
        command.SetAction(pr => Run(CliRegistry.Create(), pr.GetValue(device), pr.GetValue(ops), pr.GetValue(dtypes), pr.GetValue(verbose)));
        return command;
    }

    public static int Run(BackendRegistry registry, string? deviceArg, string[]? opNames, string[]? dtypeNames, bool verbose)
    {
        IReadOnlyList<string> ids = DeviceSelection.Resolve(registry, deviceArg);
        IReadOnlyList<OpSpec> specs = DeviceSelection.Ops(opNames);
        HashSet<DType>? only = dtypeNames is { Length: > 0 } ? dtypeNames.SelectMany(s => s.Split(',')).Select(DTypeExtensions.Parse).ToHashSet() : null;
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(Conformance.ReplayHint())}[/]");
        int failures = 0;
        foreach (string id in ids)
        {
            using Device device = registry.Open(id);
            using DeviceStream stream = device.CreateStream();
            var table = new Table().Title($"[bold]verify {Markup.Escape(id)}[/] ({Markup.Escape(device.Info.Name)})")
                .AddColumns("op", "dtype", "cases", "passed", "failed", "worst error", "tolerance", "time");
            var failed = new List<string>();
            foreach (OpSpec spec in specs)
            {
                foreach (DType dt in spec.DTypes.Where(t => only is null || only.Contains(t)))
                {
                    if (!device.Supports(spec.Kind, dt))
                    {
                        table.AddRow(spec.Name, dt.ToShortName(), "-", "-", "-", "[grey]not supported[/]", "-", "-");
                        continue;
                    }

                    var sw = Stopwatch.StartNew();
                    int pass = 0, fail = 0;
                    double worst = 0, tol = 0;
                    foreach (PlannedCase pc in Conformance.Plan(spec, dt, Conformance.BaseSeed))
                    {
                        CheckResult r;
                        try
                        {
                            r = Conformance.Run(device, stream, pc.Build());
                        }
#pragma warning disable CA1031 // a crashing case is a failed case, reported with its seed
                        catch (Exception ex)
#pragma warning restore CA1031
                        {
                            r = new CheckResult(false, double.PositiveInfinity, 0, $"{ex.GetType().Name}: {ex.Message} [{pc}]");
                        }

                        if (r.Passed)
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
                    table.AddRow(
                        spec.Name, dt.ToShortName(), (pass + fail).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        $"[green]{pass}[/]", fail == 0 ? "0" : $"[red]{fail}[/]",
                        worst.ToString("E2", System.Globalization.CultureInfo.InvariantCulture),
                        tol.ToString("E1", System.Globalization.CultureInfo.InvariantCulture),
                        Format.Time(sw.Elapsed.TotalMilliseconds));
                }
            }

            AnsiConsole.Write(table);
            CacheReport.Print(device);
        }

        AnsiConsole.MarkupLine(failures == 0 ? "[green]verify: all cases passed[/]" : $"[red]verify: {failures} case(s) failed[/] ({Markup.Escape(Conformance.ReplayHint())})");
        return failures == 0 ? 0 : 1;
    }
}
