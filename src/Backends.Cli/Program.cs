using System;
using System.CommandLine;
using Backends.Cli.Commands;
using Spectre.Console;

namespace Backends.Cli;

/// <summary>The <c>backends</c> command.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (Console.IsOutputRedirected)
        {
            // Logs and CI: no terminal to measure, so do not wrap tables at 80 columns.
            AnsiConsole.Profile.Width = 200;
        }

        var root = new RootCommand("backends: one device/kernel interface for .NET (CPU, OpenCL, CUDA, CANN). With no command: devices and this help.")
        {
            DevicesCommand.Create(),
            VerifyCommand.Create(),
            BenchCommand.Create(),
            RooflineCommand.Create(),
            CompareCommand.Create(),
        };
        root.SetAction(pr =>
        {
            int rc = DevicesCommand.Run(BackendRegistry.CreateDefault());
            AnsiConsole.WriteLine();
            AnsiConsole.MarkupLine("Commands: [bold]devices[/], [bold]verify[/] [[--device ID|all]] [[--op NAME]], [bold]bench[/] [[--device ID|all]] [[--preset square|moe-decode|moe-prefill]] [[--json F]] [[--plot F.png]], [bold]roofline[/], [bold]compare[/] OLD.json NEW.json. Run [bold]backends --help[/] or [bold]backends COMMAND --help[/] for details.");
            return rc;
        });

        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (BackendException ex)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return 2;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or System.IO.IOException or System.IO.InvalidDataException or System.Text.Json.JsonException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return 2;
        }
    }
}
