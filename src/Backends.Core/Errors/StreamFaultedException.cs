using System;

namespace Backends;

/// <summary>
/// Work already queued on a stream failed while running. The stream stays faulted (later work on it is
/// skipped) and every later synchronising call rethrows this, as CUDA's sticky errors do.
/// </summary>
public sealed class StreamFaultedException : BackendException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="backend">The backend name.</param>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The failure.</param>
    public StreamFaultedException(string backend, string message, Exception? innerException)
        : base(message, backend, innerException: innerException)
    {
    }
}
