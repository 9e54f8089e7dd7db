using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Backends.Benchmarking;

/// <summary>Where and when a report was measured.</summary>
public sealed record BenchEnvironment
{
    /// <summary>Host name.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>Operating system.</summary>
    public string Os { get; init; } = string.Empty;

    /// <summary>.NET runtime.</summary>
    public string Runtime { get; init; } = string.Empty;

    /// <summary>Logical processors.</summary>
    public int Processors { get; init; }

    /// <summary>Git revision of the code that ran, or "unknown".</summary>
    public string GitRevision { get; init; } = "unknown";

    /// <summary>The command line.</summary>
    public string CommandLine { get; init; } = string.Empty;

    /// <summary>When the run started (UTC).</summary>
    public DateTime StartedUtc { get; init; }

    /// <summary>Each backend's runtime description (library and version), or why it was unavailable.</summary>
    public IReadOnlyDictionary<string, string> Backends { get; init; } = new Dictionary<string, string>();

    /// <summary>Each device's name, driver and facts.</summary>
    public IReadOnlyDictionary<string, string> Devices { get; init; } = new Dictionary<string, string>();

    /// <summary>Captures the environment of this process.</summary>
    /// <param name="registry">The registry (backends and devices are described from it).</param>
    /// <returns>The environment.</returns>
    public static BenchEnvironment Capture(BackendRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var backends = new Dictionary<string, string>();
        var devices = new Dictionary<string, string>();
        foreach (Backend b in registry.Backends)
        {
            backends[b.Name] = b.IsAvailable ? b.RuntimeDescription : "unavailable: " + b.UnavailableReason;
            foreach (DeviceInfo d in b.Devices)
            {
                devices[d.Id] = $"{d.Name} ({d.Vendor}); driver {d.DriverVersion}; {d.ComputeUnits} compute units";
            }
        }

        return new BenchEnvironment
        {
            Host = Environment.MachineName,
            Os = RuntimeInformation.OSDescription,
            Runtime = RuntimeInformation.FrameworkDescription,
            Processors = Environment.ProcessorCount,
            GitRevision = ReadGitRevision(),
            CommandLine = string.Join(' ', Environment.GetCommandLineArgs()[1..]),
            StartedUtc = DateTime.UtcNow,
            Backends = backends,
            Devices = devices,
        };
    }

    private static string ReadGitRevision()
    {
        try
        {
            var psi = new ProcessStartInfo("git", "describe --always --dirty --abbrev=12")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            using Process? p = Process.Start(psi);
            if (p is null)
            {
                return "unknown";
            }

            string output = p.StandardOutput.ReadToEnd().Trim();
            return p.WaitForExit(3000) && p.ExitCode == 0 && output.Length > 0 ? output : "unknown";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "unknown"; // no git here
        }
    }
}
