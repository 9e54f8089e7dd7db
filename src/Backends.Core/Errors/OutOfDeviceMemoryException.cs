namespace Backends;

/// <summary>An allocation did not fit in the device's memory.</summary>
public sealed class OutOfDeviceMemoryException : BackendException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="deviceId">The device.</param>
    /// <param name="requestedBytes">The size asked for, in bytes.</param>
    /// <param name="detail">Native detail, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public OutOfDeviceMemoryException(string deviceId, long requestedBytes, string? detail = null, System.Exception? innerException = null)
        : base($"Out of device memory on {deviceId}: could not allocate {requestedBytes} bytes{(detail is null ? "." : ": " + detail)}", innerException)
    {
        DeviceId = deviceId;
        RequestedBytes = requestedBytes;
    }

    /// <summary>The device.</summary>
    public string DeviceId { get; }

    /// <summary>The size asked for, in bytes.</summary>
    public long RequestedBytes { get; }
}
