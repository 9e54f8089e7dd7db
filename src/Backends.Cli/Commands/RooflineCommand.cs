using System.Collections.Generic;
using System.CommandLine;
using Backends.Benchmarking;
using Spectre.Console;

namespace Backends.Cli.Commands;

/// <summary><c>backends roofline</c>: each device's FMA peak and copy bandwidth, measured once and cached.</summary>
internal static class RooflineCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device", "-d") { Description = "Device id, backend name, 'all' or 'default'.", DefaultValueFactory = _ => "all" };
        var refresh = new Option<bool>("--refresh") { Description = "Measure again even when cached." };
        var command = new Command("roofline", "Measure (or show the cached) compute peak (an FMA-bound kernel) and memory bandwidth (a large copy, bytes read + written) of each device.")
        {
            device, refresh,
        };
        command.SetAction(pr => Run(BackendRegistry.CreateDefault(), pr.GetValue(device), pr.GetValue(refresh)));
        return command;
    }

    public static int Run(BackendRegistry registry, string? deviceArg, bool refresh)
    {
        var rows = new List<(RooflineFigures Figures, bool Cached)>();
        foreach (string id in DeviceSelection.Resolve(registry, deviceArg))
        {
            using Device device = registry.Open(id);
            bool cached = !refresh && RooflineMeter.TryGetCached(device.Info) is not null;
            RooflineFigures f = RooflineMeter.GetOrMeasure(device, refresh, line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
            rows.Add((f, cached));
        }

        var table = new Table().Title("[bold]Rooflines[/]").AddColumns("device", "name", "peak GFLOP/s (FMA)", "bandwidth GB/s (copy or add, r+w)", "ridge FLOP/B", "measured");
        foreach ((RooflineFigures f, bool cached) in rows)
        {
            table.AddRow(Markup.Escape(f.DeviceId), Markup.Escape(f.DeviceName), Format.Num(f.PeakGflops), Format.Num(f.BandwidthGBs), Format.Num(f.Ridge, "0.00"),
                $"{f.MeasuredUtc:u}{(cached ? " (cached)" : string.Empty)}");
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]Cached per device under the user cache folder; --refresh measures again. This machine's bandwidth moves ~1.5× between runs: compare kernels with copies measured in the same run.[/]");
        return 0;
    }
}
