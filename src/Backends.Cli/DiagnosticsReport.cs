using System.Collections.Generic;
using System.Linq;
using Spectre.Console;

namespace Backends.Cli;

/// <summary>One grey line with what an opened device reports about itself (<see cref="Device.Diagnostics"/>): program cache, driver, pools.</summary>
internal static class DiagnosticsReport
{
    public static void Print(Device device)
    {
        IReadOnlyList<KeyValuePair<string, string>> facts = device.Diagnostics;
        if (facts.Count > 0)
        {
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(device.Id)}: {Markup.Escape(string.Join("; ", facts.Select(f => $"{f.Key}: {f.Value}")))}[/]");
        }
    }
}
