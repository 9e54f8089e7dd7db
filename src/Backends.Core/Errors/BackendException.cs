using System;
using System.Text;

namespace Backends;

/// <summary>
/// Base of every error raised by a backend. Carries the backend name and, for failed native calls, the native
/// error code, its symbolic name, the call that failed and the native message when there is one.
/// </summary>
public class BackendException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public BackendException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public BackendException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception with every detail.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="backend">The backend name (<c>cpu</c>, <c>opencl</c>, ...).</param>
    /// <param name="nativeErrorCode">The native status code, if a native call failed.</param>
    /// <param name="nativeErrorName">The symbolic name of the code (<c>CL_OUT_OF_RESOURCES</c>).</param>
    /// <param name="nativeCall">The native call that failed, as written in our source.</param>
    /// <param name="nativeMessage">The native library's own message, if it gave one.</param>
    /// <param name="innerException">The cause.</param>
    public BackendException(
        string message,
        string? backend,
        int? nativeErrorCode = null,
        string? nativeErrorName = null,
        string? nativeCall = null,
        string? nativeMessage = null,
        Exception? innerException = null)
        : base(Compose(message, backend, nativeErrorCode, nativeErrorName, nativeCall, nativeMessage), innerException)
    {
        Backend = backend;
        NativeErrorCode = nativeErrorCode;
        NativeErrorName = nativeErrorName;
        NativeCall = nativeCall;
        NativeMessage = nativeMessage;
    }

    /// <summary>The backend that raised the error, when known.</summary>
    public string? Backend { get; }

    /// <summary>The native status code, when a native call failed.</summary>
    public int? NativeErrorCode { get; }

    /// <summary>The symbolic name of <see cref="NativeErrorCode"/>, e.g. <c>CL_INVALID_VALUE</c>.</summary>
    public string? NativeErrorName { get; }

    /// <summary>The native call that failed, as written in the calling source.</summary>
    public string? NativeCall { get; }

    /// <summary>The native library's own message (a build log, an error string), when it gave one.</summary>
    public string? NativeMessage { get; }

    private static string Compose(string message, string? backend, int? code, string? name, string? call, string? native)
    {
        var sb = new StringBuilder();
        if (backend is not null)
        {
            sb.Append('[').Append(backend).Append("] ");
        }

        sb.Append(message);
        if (code is not null || name is not null)
        {
            sb.Append(" (").Append(name ?? "error").Append(code is null ? string.Empty : $" = {code}").Append(')');
        }

        if (call is not null)
        {
            sb.Append(" in ").Append(call);
        }

        if (!string.IsNullOrWhiteSpace(native))
        {
            sb.Append(Environment.NewLine).Append(native);
        }

        return sb.ToString();
    }
}
