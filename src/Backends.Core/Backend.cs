using System;
using System.Collections.Generic;

namespace Backends;

/// <summary>
/// One backend (cpu, opencl, cuda, cann): probes its devices once, lazily, and opens them. Probing never throws:
/// a missing native library or an empty device list makes the backend unavailable, with the reason.
/// </summary>
public abstract class Backend
{
    private readonly object _gate = new();
    private IReadOnlyList<DeviceInfo>? _devices;
    private string? _reason;

    /// <summary>Creates the backend.</summary>
    /// <param name="name">The lower-case name used in device ids.</param>
    protected Backend(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The lower-case name used in device ids (<c>cpu</c> in <c>cpu:0</c>).</summary>
    public string Name { get; }

    /// <summary>Whether the backend has at least one usable device here.</summary>
    public bool IsAvailable
    {
        get
        {
            EnsureProbed();
            return _reason is null;
        }
    }

    /// <summary>Why the backend is unavailable, or <see langword="null"/> when it is available.</summary>
    public string? UnavailableReason
    {
        get
        {
            EnsureProbed();
            return _reason;
        }
    }

    /// <summary>The devices found; empty when unavailable.</summary>
    public IReadOnlyList<DeviceInfo> Devices
    {
        get
        {
            EnsureProbed();
            return _devices!;
        }
    }

    /// <summary>A one-line description of the native runtime this backend uses (library and version), when known.</summary>
    public virtual string RuntimeDescription => string.Empty;

    /// <summary>Opens one device.</summary>
    /// <param name="index">The device index within this backend.</param>
    /// <returns>The opened device; the caller disposes it.</returns>
    /// <exception cref="BackendUnavailableException">The backend is unavailable.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No device has that index.</exception>
    public Device Open(int index)
    {
        if (!IsAvailable)
        {
            throw new BackendUnavailableException(Name, _reason!);
        }

        if (index < 0 || index >= _devices!.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Backend '{Name}' has {_devices!.Count} device(s).");
        }

        return OpenCore(_devices[index]);
    }

    /// <summary>Finds the devices. May throw; the exception's message becomes <see cref="UnavailableReason"/>.</summary>
    /// <returns>The devices; an empty list makes the backend unavailable.</returns>
    protected abstract IReadOnlyList<DeviceInfo> ProbeDevices();

    /// <summary>Opens a probed device.</summary>
    /// <param name="info">The device's facts, as probed.</param>
    /// <returns>The device.</returns>
    protected abstract Device OpenCore(DeviceInfo info);

    private void EnsureProbed()
    {
        if (_devices is not null)
        {
            return;
        }

        lock (_gate)
        {
            if (_devices is not null)
            {
                return;
            }

            try
            {
                IReadOnlyList<DeviceInfo> found = ProbeDevices();
                _reason = found.Count == 0 ? "no devices found" : null;
                _devices = found;
            }
#pragma warning disable CA1031 // probing must never throw: any failure becomes the reason
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _reason = ex is BackendUnavailableException bue ? bue.Reason : $"{ex.GetType().Name}: {ex.Message}";
                _devices = [];
            }
        }
    }
}
