using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backends.Benchmarking;

/// <summary>A benchmark run: environment, each device's roofs, every result. Saved as JSON (the baseline format of <c>backends compare</c>), CSV or Markdown.</summary>
public sealed record BenchReport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The report format version.</summary>
    public int Schema { get; init; } = 1;

    /// <summary>Where and when.</summary>
    public required BenchEnvironment Environment { get; init; }

    /// <summary>Each benchmarked device's roofs.</summary>
    public IReadOnlyList<RooflineFigures> Rooflines { get; init; } = [];

    /// <summary>Every result.</summary>
    public IReadOnlyList<BenchResult> Results { get; init; } = [];

    /// <summary>Reads a JSON report.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The report.</returns>
    /// <exception cref="InvalidDataException">The file is not a report.</exception>
    public static BenchReport Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path} is a directory, not a report file.");
        }

        BenchReport report = JsonSerializer.Deserialize<BenchReport>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} holds no report.");
        report.Validate(path);
        return report;
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> when the report cannot be compared honestly: missing fields (JSON nulls),
    /// or a timed result whose times or noise are negative, zero or not finite (they would turn a slowdown into "same").
    /// </summary>
    /// <param name="source">Where the report came from, for the message.</param>
    public void Validate(string source)
    {
        if (Results is null || Environment is null)
        {
            throw new InvalidDataException($"{source}: the report has no results or no environment.");
        }

        for (int i = 0; i < Results.Count; i++)
        {
            BenchResult? r = Results[i];
            if (r is null || r.Device is null || r.Op is null || r.Variant is null || r.DType is null || r.Shape is null)
            {
                throw new InvalidDataException($"{source}: result {i} lacks its device, op, variant, dtype or shape.");
            }

            if (!r.Passed)
            {
                continue;
            }

            if (r.Runs < 1 || !(r.MedianMs > 0) || !double.IsFinite(r.MedianMs) || r.MinMs < 0 || r.MaxMs < 0)
            {
                throw new InvalidDataException($"{source}: result {i} ({r.Op} {r.Shape} on {r.Device}) has runs {r.Runs}, median {r.MedianMs} ms, min {r.MinMs}, max {r.MaxMs}: times must be positive and finite.");
            }

            if (r.Noise < 0 || double.IsInfinity(r.Noise) || (double.IsNaN(r.Noise) && r.Runs > 1))
            {
                throw new InvalidDataException($"{source}: result {i} ({r.Op} {r.Shape} on {r.Device}) has noise {r.Noise}: it must be finite and ≥ 0.");
            }
        }
    }

    /// <summary>Writes the report as JSON.</summary>
    /// <param name="path">The file.</param>
    public void SaveJson(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Writes the results as CSV (one row per result; times in ms).</summary>
    /// <param name="path">The file.</param>
    public void SaveCsv(string path)
    {
        var sb = new StringBuilder("device,op,variant,dtype,shape,label,passed,runs,median_ms,min_ms,max_ms,noise,gflops,gbs,intensity,bound,roofline_pct\n");
        foreach (BenchResult r in Results)
        {
            sb.AppendLine(string.Join(',', r.Device, r.Op, r.Variant, r.DType, Quote(r.Shape), Quote(r.Label), r.Passed ? "true" : "false",
                N(r.Runs), N(r.MedianMs), N(r.MinMs), N(r.MaxMs), N(r.Noise), N(r.Gflops), N(r.GBs), N(r.Intensity), r.Bound, N(r.RooflinePercent)));
        }

        File.WriteAllText(path, sb.ToString());
    }

    /// <summary>The report as Markdown: environment, roofs, one table per device.</summary>
    /// <returns>The Markdown text.</returns>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmark report").AppendLine();
        sb.AppendLine($"- started: {Environment.StartedUtc:u}, host {Environment.Host}, {Environment.Processors} logical processors");
        sb.AppendLine($"- {Environment.Os}; {Environment.Runtime}; git {Environment.GitRevision}");
        foreach ((string b, string d) in Environment.Backends)
        {
            sb.AppendLine($"- backend {b}: {d}");
        }

        sb.AppendLine($"- command: `backends {Environment.CommandLine}`").AppendLine();
        sb.AppendLine("| device | name | peak GFLOP/s | bandwidth GB/s | ridge FLOP/B |").AppendLine("|---|---|---|---|---|");
        foreach (RooflineFigures f in Rooflines)
        {
            sb.AppendLine($"| {f.DeviceId} | {f.DeviceName} | {N(f.PeakGflops, "0.0")} | {N(f.BandwidthGBs, "0.0")} | {N(f.Ridge, "0.00")} |");
        }

        foreach (IGrouping<string, BenchResult> g in Results.GroupBy(r => r.Device))
        {
            sb.AppendLine().AppendLine($"## {g.Key}").AppendLine();
            sb.AppendLine("| op | variant | dtype | shape | case | median | min | max | noise | GFLOP/s | GB/s | bound | % roof | check |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (BenchResult r in g)
            {
                sb.AppendLine($"| {r.Op} | {r.Variant} | {r.DType} | {r.Shape} | {r.Label} | {Ms(r.MedianMs)} | {Ms(r.MinMs)} | {Ms(r.MaxMs)} | " +
                    $"{N(100 * r.Noise, "0.0")}% | {(r.Flops == 0 ? "-" : N(r.Gflops, "0.00"))} | {N(r.GBs, "0.00")} | {r.Bound} | {N(r.RooflinePercent, "0")} | {(r.Passed ? "ok" : "FAILED: " + r.Check.Replace('|', '/'))} |");
            }
        }

        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToMarkdown"/> to a file.</summary>
    /// <param name="path">The file.</param>
    public void SaveMarkdown(string path) => File.WriteAllText(path, ToMarkdown());

    /// <summary>A duration in ms as text with a fitting unit (µs, ms, s); "-" for NaN.</summary>
    /// <param name="ms">Milliseconds.</param>
    /// <returns>The text.</returns>
    public static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms switch
    {
        < 1 => N(ms * 1e3, "0.0") + " µs",
        < 1000 => N(ms, "0.000") + " ms",
        _ => N(ms / 1e3, "0.00") + " s",
    };

    private static string N(double v, string format = "G6") => double.IsNaN(v) || double.IsInfinity(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);

    private static string N(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
