namespace Backends;

/// <summary>An op or dtype that the device does not implement; check <see cref="Device.Supports"/> first.</summary>
public sealed class UnsupportedOpException : BackendException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="deviceId">The device (<c>opencl:0</c>).</param>
    /// <param name="op">The op.</param>
    /// <param name="dtype">The dtype asked for.</param>
    /// <param name="detail">Why, when more can be said.</param>
    public UnsupportedOpException(string deviceId, OpKind op, DType dtype, string? detail = null)
        : base($"{op} with {dtype.ToShortName()} is not supported on {deviceId}{(detail is null ? "." : ": " + detail)}")
    {
        DeviceId = deviceId;
        Op = op;
        DType = dtype;
    }

    /// <summary>The device id.</summary>
    public string DeviceId { get; }

    /// <summary>The op.</summary>
    public OpKind Op { get; }

    /// <summary>The dtype.</summary>
    public DType DType { get; }
}
