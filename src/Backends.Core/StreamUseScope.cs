using System;

namespace Backends;

/// <summary>
/// One public call's use of a stream (see <see cref="DeviceStream.EnterUse"/>): the calling thread owns the stream and the
/// device's context is bound until it is disposed.
/// </summary>
public readonly struct StreamUseScope : IDisposable, IEquatable<StreamUseScope>
{
    private readonly DeviceStream? _stream;
    private readonly DeviceContextScope _context;

    internal StreamUseScope(DeviceStream stream, DeviceContextScope context)
    {
        _stream = stream;
        _context = context;
    }

    /// <summary>Unbinds the context and releases the stream for other threads (when the outermost use ends).</summary>
    public void Dispose()
    {
        _context.Dispose();
        _stream?.ExitUse();
    }

    /// <inheritdoc />
    public bool Equals(StreamUseScope other) => ReferenceEquals(_stream, other._stream) && _context == other._context;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is StreamUseScope s && Equals(s);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_stream, _context);

    /// <summary>Whether two scopes are the same.</summary>
    /// <param name="left">One scope.</param>
    /// <param name="right">The other.</param>
    /// <returns>Equality.</returns>
    public static bool operator ==(StreamUseScope left, StreamUseScope right) => left.Equals(right);

    /// <summary>Whether two scopes differ.</summary>
    /// <param name="left">One scope.</param>
    /// <param name="right">The other.</param>
    /// <returns>Inequality.</returns>
    public static bool operator !=(StreamUseScope left, StreamUseScope right) => !left.Equals(right);
}
