using System;
using System.IO;
using System.Linq;
using Spectre.Console;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The <c>backends</c> command: every failure is one <c>error:</c> line with exit 2 (no stack trace), output paths are
/// checked before a run, and nothing claims what it did not do.
/// </summary>
[Collection("console")]
public sealed class CliErrorTests(CliErrorTests.TempFolder temp) : IClassFixture<CliErrorTests.TempFolder>
{
    /// <summary>The class's files (reports, bad JSON) in a folder of their own, removed after the class's last test.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("backends-cli-").FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a file still open elsewhere leaves the folder for the OS's temp cleaning.
            }
        }
    }

    private string ReportA => Path.Combine(temp.Path, "report-a.json");

    [Fact]
    public void Compare_OnADirectory_IsOneErrorLine() => AssertError(["compare", temp.Path, temp.Path], "directory");

    [Fact]
    public void Compare_JsonWithNullFields_IsOneErrorLine()
    {
        string f = Temp("""{"Environment":null,"Results":[null]}""");
        AssertError(["compare", f, f], "no results or no environment");
        string g = Temp("""{"Environment":{},"Results":[{"Device":null,"Op":"add","Variant":"ours","DType":"f32","Shape":"x"}]}""");
        AssertError(["compare", g, g], "lacks");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("-0.5")]
    [InlineData("Infinity")]
    public void Compare_BadMinThreshold_IsRefused(string threshold)
    {
        string f = GoodReport();
        AssertError(["compare", f, f, "--min-threshold", threshold], "threshold");
    }

    [Theory]
    [InlineData("\"MedianMs\": -2.0")]
    [InlineData("\"Noise\": -0.1")]
    [InlineData("\"Noise\": \"NaN\"")]
    public void Compare_ReportWithNegativeOrNaNFigures_IsRefused(string field)
    {
        string good = File.ReadAllText(GoodReport());
        string key = field[..field.IndexOf(':', StringComparison.Ordinal)];
        int at = good.IndexOf(key, StringComparison.Ordinal);
        int end = good.IndexOfAny([',', '\n', '}'], at);
        string bad = Temp(good[..at] + field + good[end..]);
        AssertError(["compare", GoodReport(), bad], "must be");
    }

    [Fact]
    public void Bench_OutputIntoADirectory_IsRefusedBeforeRunning()
    {
        (int rc, string text) = Run(["bench", "--device", "cpu:0", "--op", "add", "--json", temp.Path]);
        Assert.Equal(2, rc);
        Assert.Contains("is a directory", text, StringComparison.Ordinal);
        Assert.DoesNotContain("bench cpu:0", text, StringComparison.Ordinal); // nothing was benchmarked
        AssertError(["bench", "--device", "cpu:0", "--op", "add", "--csv", "/no/such/folder/x.csv"], "does not exist");
        AssertError(["bench", "--device", "cpu:0", "--op", "add", "--plot", Path.Combine(temp.Path, "x.bmp")], ".png or .svg");
    }

    [Fact]
    public void Bench_ShapeTooLargeForTheReference_IsRefused() =>
        AssertError(["bench", "--device", "cpu:0", "--op", "gemm", "--shape", "200000x200000x200000", "--no-roofline"], "host reference");

    [Fact]
    public void Bench_ShapeThatOverflows_IsRefused() =>
        AssertError(["bench", "--device", "cpu:0", "--op", "gemm", "--shape", "99999999999x2x2", "--no-roofline"], "error");

    [Theory]
    [InlineData("--noise", "NaN")]
    [InlineData("--min-time", "-1")]
    public void Bench_BadTimingOptions_AreRefused(string option, string value) =>
        AssertError(["bench", "--device", "cpu:0", "--op", "add", option, value], "must be");

    [Fact]
    public void VerifyAndBench_MatchingNoCase_SayItAndFail()
    {
        (int rc, string text) = Run(["verify", "--device", "cpu:0", "--op", "topk-gating", "--dtype", "bf16"]);
        Assert.Equal(1, rc);
        Assert.Contains("no case ran", text, StringComparison.Ordinal);
        Assert.DoesNotContain("all cases passed", text, StringComparison.Ordinal);
        (rc, text) = Run(["bench", "--device", "cpu:0", "--op", "topk-gating", "--dtype", "f16", "--no-roofline"]);
        Assert.Equal(1, rc);
        Assert.Contains("no case matches", text, StringComparison.Ordinal);
        (rc, text) = Run(["bench", "--device", "cpu:0", "--op", "softmax", "--variant", "nonesuch", "--no-roofline"]);
        Assert.Equal(1, rc);
    }

    [Fact]
    public void Verify_PlacementOptions_RunOrAreRefused()
    {
        AssertError(["verify", "--device", "cpu:0", "--op", "silu", "--view-offset", "-1"], "view-offset");
        (int rc, string text) = Run(["verify", "--device", "cpu:0", "--op", "gemm", "--in-place"]);
        Assert.True(rc == 1, text);
        Assert.Contains("none of the ops chosen can run in place", text, StringComparison.Ordinal);
        (rc, text) = Run(["verify", "--device", "cpu:0", "--op", "swiglu", "--dtype", "f32", "--in-place", "--view-offset", "3", "-v"]);
        Assert.True(rc == 0, text);
        Assert.Contains("view-offset=3 in-place y=gate", text, StringComparison.Ordinal);
        Assert.Contains("view-offset=3 in-place y=up", text, StringComparison.Ordinal);
        Assert.Contains("claimed case(s) passed", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_Random_RunsRandomCasesOrIsRefused()
    {
        AssertError(["verify", "--device", "cpu:0", "--op", "silu", "--random", "-2"], "random");
        AssertError(["verify", "--device", "cpu:0", "--op", "silu", "--random", "3", "--in-place"], "draws its own");
        (int rc, string text) = Run(["verify", "--device", "cpu:0", "--op", "swiglu", "add", "--random", "9", "-v"]);
        Assert.True(rc == 0, text);
        Assert.Equal(18, text.Split('\n').Count(l => l.TrimStart().StartsWith("ok ", StringComparison.Ordinal)));
        Assert.Contains("verify: all 18 claimed case(s) passed", text, StringComparison.Ordinal);
    }

    [Fact]
    public void WritingToAFullDisk_IsOneErrorLine()
    {
        if (!File.Exists("/dev/full"))
        {
            Assert.Skip("/dev/full is not present here");
        }

        AssertError(["bench", "--device", "cpu:0", "--op", "add", "--shape", "8x8", "--no-roofline", "--max-time", "0.05", "--min-time", "0", "--json", "/dev/full"], "error");
    }

    private string GoodReport()
    {
        lock (temp)
        {
            if (!File.Exists(ReportA))
            {
                (int rc, string text) = Run(["bench", "--device", "cpu:0", "--op", "add", "--shape", "4x8", "--no-roofline", "--max-time", "0.05", "--min-time", "0", "--json", ReportA]);
                Assert.True(rc == 0, text);
            }

            return ReportA;
        }
    }

    private string Temp(string content)
    {
        string f = Path.Combine(temp.Path, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(f, content);
        return f;
    }

    private static void AssertError(string[] args, string expected)
    {
        (int rc, string text) = Run(args);
        Assert.True(rc == 2, $"exit {rc}: {text}");
        string[] errorLines = text.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
        Assert.True(errorLines.Length == 1, text);
        Assert.Contains(expected, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // no stack trace
    }

    internal static (int Rc, string Text) Run(string[] args)
    {
        var output = new StringWriter();
        IAnsiConsole saved = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No });
        AnsiConsole.Profile.Width = 250;
        try
        {
            int rc = Backends.Cli.Program.Main(args);
            return (rc, output.ToString());
        }
        finally
        {
            AnsiConsole.Console = saved;
        }
    }
}
