using System;

namespace Backends;

/// <summary>A native library call returned a failure status.</summary>
public class NativeCallException : BackendException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="backend">The backend name.</param>
    /// <param name="code">The native status code.</param>
    /// <param name="name">The symbolic name of the code.</param>
    /// <param name="call">The call that failed.</param>
    /// <param name="nativeMessage">Extra native text (build log, error string), if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NativeCallException(string backend, int code, string name, string call, string? nativeMessage = null, Exception? innerException = null)
        : base("Native call failed", backend, code, name, call, nativeMessage, innerException)
    {
    }
}
