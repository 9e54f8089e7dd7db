using System.CommandLine;
using System.Globalization;
using System.Linq;
using Spectre.Console;

namespace Backends.Cli.Commands;

/// <summary><c>backends devices</c>: every registered backend, available or why not, and each device's facts.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List every registered backend (available or why not) and each device with its facts.");
        command.SetAction(_ => Run(BackendRegistry.CreateDefault()));
        return command;
    }

    public static int Run(BackendRegistry registry)
    {
        var backends = new Table().Title("[bold]Backends[/]").AddColumns("backend", "status", "runtime / reason");
        foreach (Backend b in registry.Backends)
        {
            backends.AddRow(
                Markup.Escape(b.Name),
                b.IsAvailable ? "[green]available[/]" : "[yellow]unavailable[/]",
                Markup.Escape(b.IsAvailable ? b.RuntimeDescription : b.UnavailableReason ?? string.Empty));
        }

        AnsiConsole.Write(backends);
        var devices = new Table().Title("[bold]Devices[/]").AddColumns("id", "name", "kind", "compute units", "memory", "simd", "facts");
        string? defaultId = registry.Devices.Any() ? registry.DefaultDevice().Id : null;
        foreach (DeviceInfo d in registry.Devices)
        {
            devices.AddRow(
                Markup.Escape(d.Id) + (d.Id == defaultId ? " [green](default)[/]" : string.Empty),
                Markup.Escape(d.Name),
                d.Kind.ToString(),
                d.ComputeUnits.ToString(CultureInfo.InvariantCulture),
                Format.Bytes(d.MemoryBytes),
                d.SimdWidthBits == 0 ? "-" : $"{d.SimdWidthBits}-bit",
                Markup.Escape(string.Join("; ", d.Facts.Select(f => $"{f.Key}: {f.Value}"))));
        }

        AnsiConsole.Write(devices);
        return 0;
    }
}
