using System;

namespace Backends;

/// <summary>
/// The device's context bound on the calling thread for the duration of a public call (see
/// <see cref="Device.EnterContext"/>); disposing it restores what was bound before. A default instance binds nothing.
/// </summary>
/// <remarks>Scopes nest: enter and dispose them in last-in, first-out order on one thread (a <c>using</c> does that).</remarks>
public readonly struct DeviceContextScope : IDisposable, IEquatable<DeviceContextScope>
{
    private readonly Device? _device;
    private readonly nint _token;

    internal DeviceContextScope(Device device, nint token)
    {
        _device = device;
        _token = token;
    }

    /// <summary>Restores the binding that was current before the scope was entered.</summary>
    public void Dispose() => _device?.ExitContextInternal(_token);

    /// <inheritdoc />
    public bool Equals(DeviceContextScope other) => ReferenceEquals(_device, other._device) && _token == other._token;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DeviceContextScope s && Equals(s);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_device, _token);

    /// <summary>Whether two scopes are the same.</summary>
    /// <param name="left">One scope.</param>
    /// <param name="right">The other.</param>
    /// <returns>Equality.</returns>
    public static bool operator ==(DeviceContextScope left, DeviceContextScope right) => left.Equals(right);

    /// <summary>Whether two scopes differ.</summary>
    /// <param name="left">One scope.</param>
    /// <param name="right">The other.</param>
    /// <returns>Inequality.</returns>
    public static bool operator !=(DeviceContextScope left, DeviceContextScope right) => !left.Equals(right);
}
