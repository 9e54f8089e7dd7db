namespace Backends.OpenCL;

/// <summary>An OpenCL call failed: the status code and its name (<c>CL_OUT_OF_RESOURCES</c>), the call, the device, and for builds the log.</summary>
public sealed class OpenCLException : NativeCallException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The OpenCL status.</param>
    /// <param name="call">The call that failed.</param>
    /// <param name="deviceId">The device (<c>opencl:0</c>), or "probe".</param>
    /// <param name="nativeMessage">Extra text: a build log with the options used.</param>
    public OpenCLException(int code, string call, string deviceId, string? nativeMessage = null)
        : base("opencl", code, ClErrors.Name(code), $"{call} on {deviceId}", nativeMessage)
    {
        DeviceId = deviceId;
    }

    /// <summary>The device the call was made for.</summary>
    public string DeviceId { get; }
}
