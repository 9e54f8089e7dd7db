using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The devices the suite runs on. Every device the registry finds is tested; so is every device named in
/// <c>BACKENDS_REQUIRE</c> (comma-separated backend names or device ids), and for those a missing device fails the
/// test instead of skipping it. Opened devices are shared by all tests.
/// </summary>
public static class TestDevices
{
    /// <summary>The environment variable listing required backends or device ids.</summary>
    public const string RequireVariable = "BACKENDS_REQUIRE";

    private static readonly ConcurrentDictionary<string, Lazy<Device>> Opened = new();

    public static BackendRegistry Registry { get; } = CreateRegistry();

    /// <summary>Backends that implement the whole op set (every op, dtype and strided case): an unsupported case there fails.</summary>
    public static IReadOnlySet<string> Complete { get; } = new HashSet<string>(StringComparer.Ordinal) { "cpu", "opencl", "cuda", "cuda-emu", "cann" };

    /// <summary>The required backend names or device ids from <c>BACKENDS_REQUIRE</c>.</summary>
    public static IReadOnlyList<string> Required { get; } =
        (Environment.GetEnvironmentVariable(RequireVariable) ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToLowerInvariant())
            .ToArray();

    /// <summary>Every device id the suite runs against.</summary>
    public static IReadOnlyList<string> Ids { get; } = AllIds();

    /// <summary>The registry of every backend this build has (<c>BackendRegistry.CreateDefault()</c>).</summary>
    public static BackendRegistry CreateRegistry() => BackendRegistry.CreateDefault();

    /// <summary>Whether a device present here is an emulator (priority <see cref="DevicePriority.Emulator"/>); false when absent.</summary>
    public static bool IsEmulator(string id) =>
        WhyMissing(id) is null && BackendRegistry.TryParseId(id, out string name, out int index)
            && Registry.Find(name)!.Devices[index].Priority == DevicePriority.Emulator;

    /// <summary>Every device × op of the catalog (device id, op name), for theories that run each op on each device.</summary>
    public static TheoryData<string, string> DeviceOps()
    {
        var data = new TheoryData<string, string>();
        foreach (string id in Ids)
        {
            foreach (Backends.Conformance.OpSpec spec in Backends.Conformance.OpCatalog.All)
            {
                data.Add(id, spec.Name);
            }
        }

        return data;
    }

    /// <summary>Whether a device id is required (by its id or its backend's name).</summary>
    public static bool IsRequired(string id)
    {
        BackendRegistry.TryParseId(id, out string backend, out _);
        return Required.Contains(id) || Required.Contains(backend);
    }

    /// <summary>The opened device, or a skip ("not present here") / a failure (when required).</summary>
    public static Device Get(string id)
    {
        string? missing = WhyMissing(id);
        if (missing is not null)
        {
            if (IsRequired(id))
            {
                Assert.Fail($"{id} is required by {RequireVariable} but unavailable: {missing}");
            }

            Assert.Skip($"{id} is not present here: {missing}");
        }

        return Opened.GetOrAdd(id, i => new Lazy<Device>(() => Registry.Open(i))).Value;
    }

    /// <summary>Null when the device exists, else why not.</summary>
    public static string? WhyMissing(string id)
    {
        if (!BackendRegistry.TryParseId(id, out string name, out int index))
        {
            return $"'{id}' is not a device id";
        }

        Backend? b = Registry.Find(name);
        if (b is null)
        {
            return $"no backend '{name}' is registered in this build";
        }

        if (!b.IsAvailable)
        {
            return b.UnavailableReason;
        }

        return index < b.Devices.Count ? null : $"backend '{name}' has only {b.Devices.Count} device(s)";
    }

    private static string[] AllIds()
    {
        // Every device present here, and every required one (a missing required device then fails each test). A backend
        // absent here is shown once, as a skip, by RequiredDevicesTests.RegisteredBackend_IsPresentHere, rather than
        // as a skip of every test.
        var ids = new List<string>(Registry.Devices.Select(d => d.Id));
        foreach (string r in Required)
        {
            ids.Add(r.Contains(':', StringComparison.Ordinal) ? r : r + ":0");
        }

        return ids.Distinct().OrderBy(s => s, StringComparer.Ordinal).ToArray();
    }
}
