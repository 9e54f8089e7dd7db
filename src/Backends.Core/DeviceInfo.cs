using System.Collections.Generic;

namespace Backends;

/// <summary>Facts about one device, known without opening it.</summary>
public sealed class DeviceInfo
{
    /// <summary>The device id, <c>backend:index</c> (<c>cpu:0</c>, <c>opencl:1</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The backend name (<c>cpu</c>, <c>opencl</c>, ...).</summary>
    public required string Backend { get; init; }

    /// <summary>The device's index within its backend.</summary>
    public required int Index { get; init; }

    /// <summary>The device's own name (CPU model, GPU name).</summary>
    public required string Name { get; init; }

    /// <summary>The vendor, when known.</summary>
    public string Vendor { get; init; } = string.Empty;

    /// <summary>The kind of processor.</summary>
    public required DeviceKind Kind { get; init; }

    /// <summary>Device memory in bytes (for the CPU: physical memory available to this process).</summary>
    public long MemoryBytes { get; init; }

    /// <summary>Compute units: cores, streaming multiprocessors, OpenCL compute units.</summary>
    public int ComputeUnits { get; init; }

    /// <summary>Width of the widest SIMD/vector unit used, in bits (512 for AVX-512); 0 when it does not apply.</summary>
    public int SimdWidthBits { get; init; }

    /// <summary>Driver or runtime version, when known.</summary>
    public string DriverVersion { get; init; } = string.Empty;

    /// <summary>Every other fact the backend knows, as ordered name/value pairs, for display.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Facts { get; init; } = [];

    /// <summary>Ranking used by <see cref="BackendRegistry.OpenDefault"/>: higher is preferred.</summary>
    public int Priority { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({Name})";
}
