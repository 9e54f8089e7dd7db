using System;
using System.Collections.Generic;
using System.Linq;
using Backends.Conformance;

namespace Backends.Cli;

/// <summary>Turns a <c>--device</c> value (an id, a backend name, <c>all</c>, or nothing) into device ids.</summary>
internal static class DeviceSelection
{
    public static IReadOnlyList<string> Resolve(BackendRegistry registry, string? device)
    {
        if (string.IsNullOrWhiteSpace(device) || device == "default")
        {
            return [registry.DefaultDevice().Id];
        }

        if (device == "all")
        {
            return registry.Devices.Select(d => d.Id).ToList();
        }

        var ids = new List<string>();
        foreach (string part in device.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            ids.Add(registry.GetInfo(part).Id);
        }

        return ids;
    }

    public static IReadOnlyList<OpSpec> Ops(string[]? names)
    {
        if (names is null || names.Length == 0)
        {
            return OpCatalog.All;
        }

        return names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(OpCatalog.Get).Distinct().ToList();
    }
}
