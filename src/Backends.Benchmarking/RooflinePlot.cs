using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Backends.Benchmarking;

/// <summary>
/// The roofline chart of a report (ScottPlot): for each device its compute roof and bandwidth roof on log-log axes
/// (GFLOP/s over FLOP/byte), and each case as a point at its arithmetic intensity and achieved GFLOP/s. Cases without
/// FLOPs (copies, casts, permutes) have no place on this chart and are left out.
/// </summary>
public static class RooflinePlot
{
    /// <summary>Saves the chart; the extension picks the format (<c>.png</c> or <c>.svg</c>).</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">The file.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">The extension is neither .png nor .svg.</exception>
    public static void Save(BenchReport report, string path, int width = 1400, int height = 900)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not ".png" and not ".svg")
        {
            throw new ArgumentException($"--plot wants a .png or .svg file, not '{path}'.", nameof(path));
        }

        Plot plot = Build(report);
        if (ext == ".png")
        {
            plot.SavePng(path, width, height);
        }
        else
        {
            plot.SaveSvg(path, width, height);
        }
    }

    private static Plot Build(BenchReport report)
    {
        var plot = new Plot();
        var points = report.Results.Where(r => r.Passed && r.Flops > 0 && r.Bytes > 0 && r.Gflops > 0).ToList();
        double xMin = 0.01, xMax = 1000;
        if (points.Count > 0)
        {
            xMin = Math.Min(xMin, points.Min(p => p.Intensity) / 2);
            xMax = Math.Max(xMax, points.Max(p => p.Intensity) * 2);
        }

        var devices = report.Rooflines.Select(f => f.DeviceId).Union(points.Select(p => p.Device)).Distinct().ToList();
        for (int i = 0; i < devices.Count; i++)
        {
            string id = devices[i];
            Color color = plot.Add.Palette.GetColor(i);
            RooflineFigures? roof = report.Rooflines.FirstOrDefault(f => f.DeviceId == id);
            if (roof is not null && double.IsFinite(roof.BandwidthGBs))
            {
                // The roof in log space: bandwidth slope up to the ridge, then the flat compute peak.
                var xs = new List<double>();
                var ys = new List<double>();
                for (double lx = Math.Log10(xMin); lx <= Math.Log10(xMax) + 1e-9; lx += 0.02)
                {
                    double attainable = double.IsFinite(roof.PeakGflops) ? roof.Attainable(Math.Pow(10, lx)) : Math.Pow(10, lx) * roof.BandwidthGBs;
                    xs.Add(lx);
                    ys.Add(Math.Log10(attainable));
                }

                var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
                line.Color = color;
                line.LineWidth = 2;
                line.LegendText = string.Create(CultureInfo.InvariantCulture,
                    $"{id} roof: {roof.PeakGflops:0} GFLOP/s, {roof.BandwidthGBs:0.0} GB/s");
            }

            var mine = points.Where(p => p.Device == id).ToList();
            if (mine.Count > 0)
            {
                var sp = plot.Add.ScatterPoints(mine.Select(p => Math.Log10(p.Intensity)).ToArray(), mine.Select(p => Math.Log10(p.Gflops)).ToArray());
                sp.Color = color;
                sp.MarkerSize = 9;
                sp.MarkerShape = i % 2 == 0 ? MarkerShape.FilledCircle : MarkerShape.FilledSquare;
                sp.LegendText = $"{id} cases";
                foreach (BenchResult p in mine)
                {
                    var label = plot.Add.Text($"{p.Op}{(p.Variant == "ours" ? string.Empty : " [" + p.Variant + "]")}", Math.Log10(p.Intensity), Math.Log10(p.Gflops));
                    label.LabelFontSize = 10;
                    label.LabelFontColor = color;
                    label.OffsetX = 6;
                    label.OffsetY = -6;
                }
            }
        }

        LogAxis(plot.Axes.Bottom);
        LogAxis(plot.Axes.Left);
        plot.Title("Roofline: achieved GFLOP/s against arithmetic intensity");
        plot.XLabel("arithmetic intensity (FLOP / byte moved)");
        plot.YLabel("GFLOP/s");
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static void LogAxis(IAxis axis)
    {
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(10, v).ToString("G4", CultureInfo.InvariantCulture),
        };
        axis.TickGenerator = ticks;
    }
}
