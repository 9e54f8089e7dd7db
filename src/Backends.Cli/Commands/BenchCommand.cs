using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using Backends.Benchmarking;
using Spectre.Console;
using Backends.Conformance;

namespace Backends.Cli.Commands;

/// <summary>
/// <c>backends bench</c>: ops × shapes × dtypes × devices × variants. Each case is checked against the reference,
/// warmed up, timed with device events until the noise settles or the budget ends, and reported against the device's
/// roofline; results go to the console and optionally to JSON / CSV / Markdown files and a roofline plot.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device", "-d") { Description = "Device id, backend name, 'all' or 'default'.", DefaultValueFactory = _ => "default" };
        var preset = new Option<string?>("--preset", "-p") { Description = $"Case set: {string.Join(", ", BenchPresets.Names)} (default: every op at its default shape)." };
        var ops = new Option<string[]>("--op") { Description = "Only these ops (gemm, softmax, ...).", AllowMultipleArgumentsPerToken = true };
        var dtypes = new Option<string[]>("--dtype") { Description = "Data types (f32, f16, bf16); default f32. Ops that lack a dtype are skipped for it.", AllowMultipleArgumentsPerToken = true };
        var shape = new Option<string[]>("--shape") { Description = "Shapes for the single --op: axis=value,... or AxBxC over the op's primary axes; repeatable.", AllowMultipleArgumentsPerToken = true };
        var variants = new Option<string[]>("--variant") { Description = "Only these kernel variants (ours, clblast, ...); default: every variant the device has.", AllowMultipleArgumentsPerToken = true };
        var minTime = new Option<double>("--min-time") { Description = "Seconds of timed runs per case at least.", DefaultValueFactory = _ => 0.2 };
        var maxTime = new Option<double>("--max-time") { Description = "Seconds of timed runs per case at most (the budget).", DefaultValueFactory = _ => 2 };
        var noise = new Option<double>("--noise") { Description = "Stop timing a case once its relative noise (1.4826·MAD/median) is at most this.", DefaultValueFactory = _ => 0.03 };
        var warm = new Option<bool>("--warm") { Description = "Keep caches warm between launches (default: flush a 64 MiB buffer before each timed launch, untimed) and batch sub-millisecond launches." };
        var json = new Option<string?>("--json") { Description = "Write the report as JSON (the input of backends compare)." };
        var csv = new Option<string?>("--csv") { Description = "Write the results as CSV." };
        var markdown = new Option<string?>("--markdown") { Description = "Write the report as Markdown." };
        var plot = new Option<string?>("--plot") { Description = "Write a roofline chart (.png or .svg)." };
        var noVerify = new Option<bool>("--no-verify") { Description = "Skip the reference check before timing (not recommended)." };
        var noRoofline = new Option<bool>("--no-roofline") { Description = "Do not measure or use rooflines (no % of roof)." };
        var command = new Command("bench", "Benchmark ops on devices: checked first, warmed up, timed with device events until the noise settles; median/min/max/noise, GFLOP/s, GB/s and % of roofline.")
        {
            device, preset, ops, dtypes, shape, variants, minTime, maxTime, noise, warm, json, csv, markdown, plot, noVerify, noRoofline,
        };
        command.SetAction(pr =>
        {
            var options = new BenchOptions
            {
                MinTime = pr.GetValue(minTime),
                MaxTime = pr.GetValue(maxTime),
                NoiseBound = pr.GetValue(noise),
                Verify = !pr.GetValue(noVerify),
                Cold = !pr.GetValue(warm),
            };
            return Run(BackendRegistry.CreateDefault(), pr.GetValue(device), pr.GetValue(preset), pr.GetValue(ops), pr.GetValue(dtypes), pr.GetValue(shape),
                pr.GetValue(variants), options, pr.GetValue(json), pr.GetValue(csv), pr.GetValue(markdown), pr.GetValue(plot), !pr.GetValue(noRoofline));
        });
        return command;
    }

    public static int Run(
        BackendRegistry registry, string? deviceArg, string? preset, string[]? opNames, string[]? dtypeNames, string[]? shapes, string[]? variantNames,
        BenchOptions options, string? json, string? csv, string? markdown, string? plotPath, bool roofline)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        OutputPaths.Check("--json", json);
        OutputPaths.Check("--csv", csv);
        OutputPaths.Check("--markdown", markdown);
        OutputPaths.Check("--plot", plotPath, ".png", ".svg");
        IReadOnlyList<BenchItem> items = Items(preset, opNames, shapes);
        DType[] dtypes = dtypeNames is { Length: > 0 } ? dtypeNames.SelectMany(s => s.Split(',')).Select(DTypeExtensions.Parse).ToArray() : [DType.F32];
        IReadOnlyList<string> ids = DeviceSelection.Resolve(registry, deviceArg);
        BenchEnvironment env = BenchEnvironment.Capture(registry);
        var results = new List<BenchResult>();
        var roofs = new List<RooflineFigures>();
        int failures = 0, unsupported = 0;
        var devices = new List<(Device Device, DeviceStream Stream, RooflineFigures? Roof, TensorView? Flush)>();
        try
        {
            foreach (string id in ids)
            {
                Device device = registry.Open(id);
                RooflineFigures? roof = null;
                if (roofline)
                {
                    roof = RooflineMeter.GetOrMeasure(device, progress: line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
                    roofs.Add(roof);
                }

                // 64 MiB: beyond the last-level cache of the CPUs we target; written before each timed launch when cold.
                devices.Add((device, device.CreateStream(), roof, options.Cold ? device.Allocate(DType.F32, 16 << 20) : null));
            }

            // Items outside, devices inside: each case (inputs and float64 reference) is built once, run on every device,
            // then dropped, so memory holds one case at a time however large the preset.
            var work = (from item in items
                        from dt in dtypes
                        where item.Spec.DTypes.Contains(dt)
                        select (item, dt)).ToList();
            int total = work.Sum(w => devices.Sum(d => VariantsOf(d.Device, w.item, w.dt, variantNames).Count));
            if (total == 0)
            {
                AnsiConsole.MarkupLine("[red]bench: no case matches[/] (the ops, dtypes, shapes and variants asked for leave nothing to run on these devices)");
                return 1;
            }

            AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask task = ctx.AddTask($"{total} cases", maxValue: Math.Max(total, 1));
                    foreach ((BenchItem item, DType dt) in work)
                    {
                        OpCase opCase = item.Spec.CreateCase(item.Shape, dt, OpCatalog.StableSeed(ConformanceSuite.BaseSeed, item.Spec.Name, item.Shape, dt));
                        foreach ((Device device, DeviceStream stream, RooflineFigures? roof, TensorView? flush) in devices)
                        {
                            foreach (string variant in VariantsOf(device, item, dt, variantNames))
                            {
                                task.Description = Markup.Escape($"{device.Id} {item.Spec.Name} {dt.ToShortName()} [{variant}] {item.Label}");
                                try
                                {
                                    BenchResult r = BenchRunner.Run(device, stream, variant, item, opCase, roof, options, flush);
                                    failures += r.Passed ? 0 : 1;
                                    results.Add(r);
                                }
                                catch (UnsupportedOpException ex)
                                {
                                    // Refused before launch: the device does not claim this call. Not a failure.
                                    unsupported++;
                                    AnsiConsole.MarkupLine($"[grey]unsupported {Markup.Escape(device.Id)} {Markup.Escape(item.Spec.Name)} [[{Markup.Escape(variant)}]] {Markup.Escape(item.Label)}: {Markup.Escape(ex.Message)}[/]");
                                }
                                catch (OutOfDeviceMemoryException ex)
                                {
                                    AnsiConsole.MarkupLine($"[yellow]skipped {Markup.Escape(device.Id)} {Markup.Escape(item.Spec.Name)} [[{Markup.Escape(variant)}]] {Markup.Escape(item.Label)}: {Markup.Escape(ex.Message)}[/]");
                                }

                                task.Increment(1);
                            }
                        }

                        // Large cases leave gigabytes of host arrays behind; give them back before the next one is built.
                        opCase = null!;
                        GC.Collect();
                    }
                });

            foreach ((Device device, _, RooflineFigures? roof, _) in devices)
            {
                Print(device, roof, results.Where(r => r.Device == device.Id).ToList());
                DiagnosticsReport.Print(device);
            }
        }
        finally
        {
            foreach ((Device device, DeviceStream stream, _, _) in devices)
            {
                stream.Dispose();
                device.Dispose();
            }
        }

        var report = new BenchReport { Environment = env, Rooflines = roofs, Results = results };
        if (json is not null)
        {
            report.SaveJson(json);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(json)}");
        }

        if (csv is not null)
        {
            report.SaveCsv(csv);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(csv)}");
        }

        if (markdown is not null)
        {
            report.SaveMarkdown(markdown);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(markdown)}");
        }

        if (plotPath is not null)
        {
            RooflinePlot.Save(report, plotPath);
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(plotPath)}");
        }

        if (unsupported > 0)
        {
            AnsiConsole.MarkupLine($"[grey]{unsupported} case(s) unsupported on their device or variant (not timed, not failures)[/]");
        }

        if (failures > 0)
        {
            AnsiConsole.MarkupLine($"[red]{failures} case(s) failed their reference check and were not timed[/] ({Markup.Escape(ConformanceSuite.ReplayHint())})");
        }

        return failures == 0 ? 0 : 1;
    }

    private static List<string> VariantsOf(Device device, BenchItem item, DType dt, string[]? only) =>
        device.Variants(item.Spec.Kind)
            .Where(v => (only is not { Length: > 0 } || only.Contains(v)) && device.GetVariant(v).Supports(item.Spec.Kind, dt))
            .ToList();

    private static IReadOnlyList<BenchItem> Items(string? preset, string[]? opNames, string[]? shapes)
    {
        IReadOnlyList<OpSpec>? only = opNames is { Length: > 0 } ? DeviceSelection.Ops(opNames) : null;
        if (shapes is { Length: > 0 })
        {
            if (only is not { Count: 1 } || preset is not null)
            {
                throw new ArgumentException("--shape needs exactly one --op and no --preset.");
            }

            return shapes.Select(s => new BenchItem(only[0], OpShape.Parse(s, only[0]), "--shape " + s)).ToList();
        }

        IReadOnlyList<BenchItem> items = BenchPresets.Get(preset ?? "default");
        return only is null ? items : items.Where(i => only.Contains(i.Spec)).ToList();
    }

    private static void Print(Device device, RooflineFigures? roof, List<BenchResult> results)
    {
        string roofText = roof is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" — roofs: {roof.PeakGflops:0.0} GFLOP/s{(roof.Bf16MatmulPeakFactor != 1 ? $" ({roof.Bf16MatmulPeakFactor:0.#}× for BF16 gemm)" : string.Empty)}, {roof.BandwidthGBs:0.0} GB/s");
        var table = new Table().Title($"[bold]bench {Markup.Escape(device.Id)}[/] ({Markup.Escape(device.Info.Name)}){Markup.Escape(roofText)}")
            .AddColumns("op", "variant", "dtype", "case", "shape", "median", "min", "max", "noise", "runs", "GFLOP/s", "GB/s", "bound", "% roof", "check");
        foreach (BenchResult r in results)
        {
            table.AddRow(
                r.Op, Markup.Escape(r.Variant), r.DType, Markup.Escape(r.Label), Markup.Escape(r.Shape),
                BenchReport.Ms(r.MedianMs), BenchReport.Ms(r.MinMs), BenchReport.Ms(r.MaxMs),
                double.IsNaN(r.Noise) ? "-" : Format.Num(100 * r.Noise, "0.0") + "%", r.Runs.ToString(CultureInfo.InvariantCulture),
                r.Flops == 0 || double.IsNaN(r.Gflops) ? "-" : Format.Num(r.Gflops, "0.00"), double.IsNaN(r.GBs) ? "-" : Format.Num(r.GBs, "0.00"),
                r.Bound, double.IsNaN(r.RooflinePercent) ? "-" : Format.Num(r.RooflinePercent, "0"),
                r.Passed ? "[green]ok[/]" : $"[red]{Markup.Escape(r.Check)}[/]");
        }

        AnsiConsole.Write(table);
    }
}
