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

        var trace = new Option<bool>("--trace") { Description = "On an error, print the stack trace too.", Recursive = true };
        var root = new RootCommand("backends: one device/kernel interface for .NET (CPU, OpenCL, CUDA, CANN). With no command: devices and this help.")
        {
            DevicesCommand.Create(),
            VerifyCommand.Create(),
            BenchCommand.Create(),
            RooflineCommand.Create(),
            CompareCommand.Create(),
        };
        root.Options.Add(trace);
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
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message.ReplaceLineEndings(" "))}");
            return 2;
        }
#pragma warning disable CA1031 // the command's contract: any failure is one line and exit 2, never a crash dump
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Unexpected failures too (a full disk, a directory where a file was expected, JSON with nulls): one line,
            // and the stack trace only when asked for.
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message.ReplaceLineEndings(" "))}");
            if (Array.IndexOf(args, "--trace") >= 0 || Environment.GetEnvironmentVariable("BACKENDS_TRACE") == "1")
            {
                Console.Error.WriteLine(ex.ToString());
            }
            else if (ex is not (ArgumentException or FormatException or System.IO.IOException or System.IO.InvalidDataException or System.Text.Json.JsonException))
            {
                AnsiConsole.MarkupLine("[grey](run with --trace or BACKENDS_TRACE=1 for the stack trace)[/]");
            }

            return 2;
        }
    }
}
