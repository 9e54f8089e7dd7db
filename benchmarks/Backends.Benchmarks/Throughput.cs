using System.Collections.Concurrent;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Backends.Benchmarks;

/// <summary>
/// GFLOP/s and GB/s columns. Each benchmark's FLOPs and bytes are recorded during its setup (in the benchmark process)
/// and written to a small file next to the results, which the host process reads when it renders the summary.
/// </summary>
public static class Throughput
{
    private static readonly string Dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "backends-bdn-throughput");

    public static void Record(string device, string op, double flops, double bytes)
    {
        System.IO.Directory.CreateDirectory(Dir);
        System.IO.File.WriteAllText(System.IO.Path.Combine(Dir, Key(device, op)), FormattableStringInvariant($"{flops} {bytes}"));
    }

    public static (double Flops, double Bytes)? Lookup(string device, string op)
    {
        string path = System.IO.Path.Combine(Dir, Key(device, op));
        if (!System.IO.File.Exists(path))
        {
            return null;
        }

        double[] v = System.IO.File.ReadAllText(path).Split(' ').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (v[0], v[1]);
    }

    private static string Key(string device, string op) => $"{device.Replace(':', '_')}-{op}.txt";

    private static string FormattableStringInvariant(System.FormattableString s) => System.FormattableString.Invariant(s);
}

/// <summary>A column of FLOP/s or bytes/s from the mean time.</summary>
public sealed class ThroughputColumn(bool flops) : IColumn
{
    public string Id => flops ? "GFLOPs" : "GBs";

    public string ColumnName => flops ? "GFLOP/s" : "GB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => flops ? 0 : 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => flops ? "Billions of floating-point operations per second (the op's customary count)" : "Gigabytes moved per second (inputs read once, outputs written once)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        BenchmarkReport? report = summary[benchmarkCase];
        if (report?.ResultStatistics is null || !benchmarkCase.HasParameters || benchmarkCase.Parameters["Op"] is not string op
            || benchmarkCase.Parameters["DeviceId"] is not string device || Throughput.Lookup(device, op) is not { } t)
        {
            return "-";
        }

        double seconds = report.ResultStatistics.Mean / 1e9;
        double value = (flops ? t.Flops : t.Bytes) / seconds / 1e9;
        return value == 0 ? "-" : value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
