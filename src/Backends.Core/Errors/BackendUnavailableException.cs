using System;

namespace Backends;

/// <summary>A backend cannot be used here (missing native library, no devices); the message says why.</summary>
public sealed class BackendUnavailableException : BackendException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="backend">The backend name.</param>
    /// <param name="reason">Why it is unavailable.</param>
    /// <param name="innerException">The cause, if any.</param>
    public BackendUnavailableException(string backend, string reason, Exception? innerException = null)
        : base($"Backend '{backend}' is unavailable: {reason}", innerException)
    {
        BackendName = backend;
        Reason = reason;
    }

    /// <summary>The backend name.</summary>
    public string BackendName { get; }

    /// <summary>Why it is unavailable.</summary>
    public string Reason { get; }
}
