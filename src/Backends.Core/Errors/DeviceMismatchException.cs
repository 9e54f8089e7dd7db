namespace Backends;

/// <summary>A buffer, view, stream or event was used with a device other than the one that owns it. Backends never copy silently.</summary>
public sealed class DeviceMismatchException : BackendException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="what">The argument that belongs elsewhere.</param>
    /// <param name="expectedDeviceId">The device in use.</param>
    /// <param name="actualDeviceId">The device that owns the argument.</param>
    public DeviceMismatchException(string what, string expectedDeviceId, string actualDeviceId)
        : base($"'{what}' belongs to {actualDeviceId} (another device object), but is used on {expectedDeviceId}; copy it explicitly.")
    {
        Argument = what;
    }

    /// <summary>The argument name.</summary>
    public string Argument { get; }
}
