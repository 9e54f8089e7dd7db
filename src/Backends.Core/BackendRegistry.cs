using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends;

/// <summary>
/// The backends this process knows, registered explicitly (<c>new BackendRegistry().AddCpu().AddOpenCL()</c>),
/// and the device ids they answer to (<c>cpu:0</c>, <c>opencl:0</c>).
/// </summary>
public sealed class BackendRegistry
{
    private readonly List<Backend> _backends = [];

    /// <summary>The registered backends, in registration order, available or not.</summary>
    public IReadOnlyList<Backend> Backends => _backends;

    /// <summary>Every device of every available backend.</summary>
    public IEnumerable<DeviceInfo> Devices => _backends.Where(b => b.IsAvailable).SelectMany(b => b.Devices);

    /// <summary>Registers a backend.</summary>
    /// <param name="backend">The backend.</param>
    /// <returns>This registry, for chaining.</returns>
    /// <exception cref="ArgumentException">A backend with that name is already registered.</exception>
    public BackendRegistry Add(Backend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (_backends.Any(b => b.Name == backend.Name))
        {
            throw new ArgumentException($"A backend named '{backend.Name}' is already registered.", nameof(backend));
        }

        _backends.Add(backend);
        return this;
    }

    /// <summary>Finds a backend by name.</summary>
    /// <param name="name">The backend name.</param>
    /// <returns>The backend, or <see langword="null"/>.</returns>
    public Backend? Find(string name) => _backends.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Splits a device id into backend name and index; a bare backend name means index 0.</summary>
    /// <param name="id">The id (<c>opencl:1</c> or <c>opencl</c>).</param>
    /// <param name="backend">The backend name.</param>
    /// <param name="index">The device index.</param>
    /// <returns>Whether the text is a well-formed id.</returns>
    public static bool TryParseId(string? id, out string backend, out int index)
    {
        backend = string.Empty;
        index = 0;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        int colon = id.LastIndexOf(':');
        if (colon < 0)
        {
            backend = id.Trim().ToLowerInvariant();
            return true;
        }

        backend = id[..colon].Trim().ToLowerInvariant();
        return backend.Length > 0 &&
               int.TryParse(id.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index);
    }

    /// <summary>Finds the facts of a device without opening it.</summary>
    /// <param name="id">The device id.</param>
    /// <returns>The device's facts.</returns>
    /// <exception cref="ArgumentException">The id is malformed or names no registered backend.</exception>
    /// <exception cref="BackendUnavailableException">The backend is unavailable here.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The backend has no device with that index.</exception>
    public DeviceInfo GetInfo(string id)
    {
        Backend b = Resolve(id, out int index);
        if (!b.IsAvailable)
        {
            throw new BackendUnavailableException(b.Name, b.UnavailableReason!);
        }

        if (index >= b.Devices.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Backend '{b.Name}' has {b.Devices.Count} device(s).");
        }

        return b.Devices[index];
    }

    /// <summary>Opens a device by id (<c>cpu:0</c>, <c>opencl:1</c>; a bare backend name means its device 0).</summary>
    /// <param name="id">The device id.</param>
    /// <returns>The opened device; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The id is malformed or names no registered backend.</exception>
    /// <exception cref="BackendUnavailableException">The backend is unavailable here.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The backend has no device with that index.</exception>
    public Device Open(string id)
    {
        Backend b = Resolve(id, out int index);
        return b.Open(index);
    }

    /// <summary>The id of the device <see cref="OpenDefault"/> would open: the highest <see cref="DeviceInfo.Priority"/>, ties to registration order.</summary>
    /// <returns>The device's facts.</returns>
    /// <exception cref="BackendUnavailableException">No registered backend has a device.</exception>
    public DeviceInfo DefaultDevice()
    {
        DeviceInfo? best = null;
        foreach (DeviceInfo d in Devices)
        {
            if (best is null || d.Priority > best.Priority)
            {
                best = d;
            }
        }

        return best ?? throw new BackendUnavailableException("any", "no registered backend has a device: " +
            string.Join("; ", _backends.Select(b => $"{b.Name}: {b.UnavailableReason}")));
    }

    /// <summary>Opens the preferred device: a GPU or accelerator when one is present, else the CPU.</summary>
    /// <returns>The opened device; the caller disposes it.</returns>
    /// <exception cref="BackendUnavailableException">No registered backend has a device.</exception>
    public Device OpenDefault() => Open(DefaultDevice().Id);

    private Backend Resolve(string id, out int index)
    {
        if (!TryParseId(id, out string name, out index))
        {
            throw new ArgumentException($"'{id}' is not a device id; expected backend:index such as cpu:0 or opencl:1.", nameof(id));
        }

        return Find(name) ?? throw new ArgumentException(
            $"No backend named '{name}' is registered; registered: {string.Join(", ", _backends.Select(b => b.Name))}.", nameof(id));
    }
}
