using System;
using System.Threading;

namespace Backends;

/// <summary>
/// Temporary device memory rented from a <see cref="ScratchPool"/> for work on one stream. Queue the work that uses
/// <see cref="View"/> on <see cref="Stream"/>, then dispose this object (at once, without waiting): the memory goes back
/// to the pool and is reused only once the stream has passed that work.
/// </summary>
public sealed class ScratchBuffer : IDisposable
{
    private readonly ScratchPool _pool;
    private readonly TensorView _view;
    private int _disposed;

    internal ScratchBuffer(ScratchPool pool, DeviceStream stream, DeviceBuffer buffer, long length)
    {
        _pool = pool;
        Stream = stream;
        _view = new TensorView(buffer, 0, (int)length);
    }

    /// <summary>The stream the memory was rented for.</summary>
    public DeviceStream Stream { get; }

    /// <summary>A 1-D view of exactly the rented length (the buffer behind it may be larger).</summary>
    /// <exception cref="ObjectDisposedException">The scratch buffer was returned.</exception>
    public TensorView View
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _view;
        }
    }

    /// <summary>Returns the memory to the pool (once); the work already queued that uses it still runs.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _pool.Return(Stream, _view.Buffer);
        }
    }
}
