using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using Spectre.Console;

namespace Backends.Cli.Commands;

/// <summary><c>backends bench</c>: each op at a shape, checked first, then timed with device events.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device", "-d") { Description = "Device id, backend name, 'all' or 'default'.", DefaultValueFactory = _ => "default" };
        var ops = new Option<string[]>("--op") { Description = "Op name(s); default: all.", AllowMultipleArgumentsPerToken = true };
        var dtype = new Option<string>("--dtype") { Description = "Data type (f32, f16, bf16).", DefaultValueFactory = _ => "f32" };
        var shape = new Option<string?>("--shape") { Description = "Shape as axis=value,... or AxBxC over the op's primary axes; default: the op's default shape." };
        var minTime = new Option<double>("--min-time") { Description = "Seconds of timed runs per case (at least 5 runs).", DefaultValueFactory = _ => 0.3 };
        var command = new Command("bench", "Time each op on a device: checked against the reference first, warmed up, then timed with device events; median, min, GFLOP/s and GB/s.")
        {
            device, ops, dtype, shape, minTime,
        };
        command.SetAction(pr => Run(CliRegistry.Create(), pr.GetValue(device), pr.GetValue(ops), pr.GetValue(dtype)!, pr.GetValue(shape), pr.GetValue(minTime)));
        return command;
    }

    public static int Run(BackendRegistry registry, string? deviceArg, string[]? opNames, string dtypeName, string? shapeText, double minTime)
    {
        DType dtype = DTypeExtensions.Parse(dtypeName);
        IReadOnlyList<string> ids = DeviceSelection.Resolve(registry, deviceArg);
        IReadOnlyList<OpSpec> specs = DeviceSelection.Ops(opNames);
        if (shapeText is not null && specs.Count != 1)
        {
            throw new ArgumentException("--shape needs exactly one --op.");
        }

        int failures = 0;
        foreach (string id in ids)
        {
            using Device device = registry.Open(id);
            using DeviceStream stream = device.CreateStream();
            var table = new Table().Title($"[bold]bench {Markup.Escape(id)}[/] ({Markup.Escape(device.Info.Name)}), {dtype.ToShortName()}")
                .AddColumns("op", "variant", "shape", "median", "min", "runs", "GFLOP/s", "GB/s", "check");
            foreach (OpSpec spec in specs)
            {
                DType dt = spec.DTypes.Contains(dtype) ? dtype : spec.DTypes[0];
                OpShape shape = shapeText is null ? spec.DefaultShape : OpShape.Parse(shapeText, spec);
                foreach (string variant in device.Variants(spec.Kind))
                {
                    IKernels kernels = device.GetVariant(variant);
                    if (!kernels.Supports(spec.Kind, dt))
                    {
                        continue;
                    }

                    AnsiConsole.MarkupLine($"[grey]  {Markup.Escape(spec.Name)} {dt.ToShortName()} {Markup.Escape(shape.ToString())} [[{Markup.Escape(variant)}]]...[/]");
                    BenchResult r = Measure(device, stream, kernels, spec.CreateCase(shape, dt, OpCatalog.StableSeed(Conformance.BaseSeed, spec.Name)), minTime);
                    failures += r.Check.Passed ? 0 : 1;
                    table.AddRow(
                        spec.Name, Markup.Escape(variant), Markup.Escape(shape.ToString()),
                        Format.Time(r.MedianMs), Format.Time(r.MinMs), r.Runs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        r.Flops == 0 ? "-" : Format.Num(r.Flops / r.MedianMs / 1e6, "0.00"),
                        Format.Num(r.Bytes / r.MedianMs / 1e6, "0.00"),
                        r.Check.Passed ? "[green]ok[/]" : $"[red]{Markup.Escape(r.Check.Detail)}[/]");
                }
            }

            AnsiConsole.Write(table);
            CacheReport.Print(device);
        }

        return failures == 0 ? 0 : 1;
    }

    /// <summary>Verify once, warm up, then time launches between device events until <paramref name="minTime"/> has passed.</summary>
    public static BenchResult Measure(Device device, DeviceStream stream, IKernels kernels, OpCase opCase, double minTime)
    {
        using OpRun run = opCase.Prepare(device, stream);
        run.Launch(stream, kernels);
        CheckResult check = run.Verify(stream);
        if (!check.Passed)
        {
            return new BenchResult(check, double.NaN, double.NaN, 0, opCase.Flops, opCase.BytesMoved);
        }

        // Warm up until timings settle, not for a fixed count: program builds, first touch and the JIT's tiering
        // (tier-0 SIMD code is tens of times slower, and tier-up happens in the background) all end up here.
        var warm = System.Diagnostics.Stopwatch.StartNew();
        var recent = new List<double>();
        while (warm.Elapsed.TotalSeconds < 3)
        {
            using DeviceEvent s0 = stream.Record();
            run.Launch(stream, kernels);
            using DeviceEvent s1 = stream.Record();
            recent.Add(s1.ElapsedMillisecondsSince(s0));
            if (recent.Count >= 6 && warm.Elapsed.TotalSeconds >= 0.3)
            {
                double[] last = recent.TakeLast(3).ToArray(), before = recent.SkipLast(3).TakeLast(3).ToArray();
                if (Math.Abs(last.Average() - before.Average()) <= 0.1 * before.Average())
                {
                    break;
                }
            }
        }

        var times = new List<double>();
        double total = 0;
        while ((total < minTime * 1000 || times.Count < 5) && times.Count < 1000)
        {
            using DeviceEvent start = stream.Record();
            run.Launch(stream, kernels);
            using DeviceEvent end = stream.Record();
            double ms = end.ElapsedMillisecondsSince(start);
            times.Add(ms);
            total += ms;
        }

        times.Sort();
        return new BenchResult(check, times[times.Count / 2], times[0], times.Count, opCase.Flops, opCase.BytesMoved);
    }
}

/// <summary>One timed case.</summary>
internal sealed record BenchResult(CheckResult Check, double MedianMs, double MinMs, int Runs, double Flops, double Bytes);
