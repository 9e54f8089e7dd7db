using System.CommandLine;
using System.Linq;
using Backends.Benchmarking;
using Spectre.Console;

namespace Backends.Cli.Commands;

/// <summary><c>backends compare OLD.json NEW.json</c>: FASTER / SLOWER / SAME per case from the noise both runs measured.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var oldFile = new Argument<string>("old") { Description = "Baseline report (JSON from backends bench --json)." };
        var newFile = new Argument<string>("new") { Description = "New report." };
        var minThreshold = new Option<double>("--min-threshold") { Description = "Smallest relative change called a difference (covers drift between runs).", DefaultValueFactory = _ => BenchComparison.DefaultMinThreshold };
        var command = new Command("compare", "Compare two bench reports case by case; exit 1 when a case got slower beyond noise or broke.")
        {
            oldFile, newFile, minThreshold,
        };
        command.SetAction(pr => Run(pr.GetValue(oldFile)!, pr.GetValue(newFile)!, pr.GetValue(minThreshold)));
        return command;
    }

    public static int Run(string oldPath, string newPath, double minThreshold)
    {
        BenchReport a = BenchReport.Load(oldPath), b = BenchReport.Load(newPath);
        var results = BenchComparison.Compare(a, b, minThreshold);
        var table = new Table().Title($"[bold]compare[/] {Markup.Escape(oldPath)} → {Markup.Escape(newPath)}")
            .AddColumns("case (device | op | variant | dtype | shape)", "old", "new", "new/old", "threshold", "verdict");
        foreach (CaseComparison c in results)
        {
            string verdict = c.Verdict switch
            {
                Verdict.Slower => "[red]SLOWER[/]",
                Verdict.Broken => "[red]BROKEN[/]",
                Verdict.Faster => "[green]FASTER[/]",
                Verdict.Same => "SAME",
                _ => c.Verdict.ToString().ToUpperInvariant(),
            };
            table.AddRow(Markup.Escape(c.Key), BenchReport.Ms(c.OldMs), BenchReport.Ms(c.NewMs),
                double.IsNaN(c.Ratio) ? "-" : Format.Num(c.Ratio, "0.000"), double.IsNaN(c.Threshold) ? "-" : $"±{Format.Num(100 * c.Threshold, "0.0")}%", verdict);
        }

        AnsiConsole.Write(table);
        var counts = results.GroupBy(c => c.Verdict).ToDictionary(g => g.Key, g => g.Count());
        string summary = string.Join(", ", new[] { Verdict.Faster, Verdict.Slower, Verdict.Same, Verdict.Broken, Verdict.Missing, Verdict.New }
            .Where(counts.ContainsKey).Select(v => $"{counts[v]} {v.ToString().ToLowerInvariant()}"));
        bool regression = BenchComparison.HasRegression(results);
        AnsiConsole.MarkupLine((regression ? "[red]regression:[/] " : "[green]no regression:[/] ") + summary);
        return regression ? 1 : 0;
    }
}
