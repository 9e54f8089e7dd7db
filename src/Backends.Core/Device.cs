using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends;

/// <summary>
/// One opened device: allocates buffers, creates streams, runs the standard op set through <see cref="Kernels"/>.
/// Disposing a device synchronises and disposes the streams and buffers it still owns.
/// </summary>
/// <remarks>Thread-safe: buffers and streams may be created from several threads; each stream is used by one thread at a time.</remarks>
public abstract class Device : IDisposable
{
    private readonly object _gate = new();
    private readonly HashSet<IDisposable> _owned = [];
    private readonly Lazy<ScratchPool> _scratch;
    private volatile bool _disposed;

    /// <summary>Set, under <see cref="_gate"/>, when disposal starts: from then on nothing new is tracked.</summary>
    private bool _closing;

    /// <summary>Creates the device.</summary>
    /// <param name="info">The device's facts.</param>
    protected Device(DeviceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        Info = info;
        _scratch = new Lazy<ScratchPool>(() => new ScratchPool(this));
    }

    /// <summary>The device's facts.</summary>
    public DeviceInfo Info { get; }

    /// <summary>The device id (<c>cpu:0</c>).</summary>
    public string Id => Info.Id;

    /// <summary>The backend name.</summary>
    public string BackendName => Info.Backend;

    /// <summary>Whether <see cref="Dispose()"/> has run.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>The default implementation of the standard op set on this device.</summary>
    public abstract IKernels Kernels { get; }

    /// <summary>
    /// The device's stream-ordered pool of temporary memory: where a backend (and a custom kernel) gets per-launch
    /// temporaries and vendor-library workspaces. See <see cref="ScratchPool"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The device is disposed.</exception>
    public ScratchPool Scratch
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _scratch.Value;
        }
    }

    /// <summary>
    /// The most unfinished launches (ops, copies, fills, writes) one stream holds; queuing more waits until the oldest
    /// have run, so a loop that never synchronises cannot grow memory without bound. Applies to streams created after
    /// it is set. Default 1024.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int StreamQueueDepth
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = 1024;

    /// <summary>
    /// What the backend can tell about this opened device beyond <see cref="Info"/>, as ordered name/value pairs for
    /// display (<c>backends devices</c>, <c>verify</c> and <c>bench</c> print them): where programs came from, driver and
    /// context facts, pool sizes. Empty by default.
    /// </summary>
    public virtual IReadOnlyList<KeyValuePair<string, string>> Diagnostics => [];

    /// <summary>
    /// Whether this device implements <paramref name="op"/> for <paramref name="dtype"/> (the op's data type: Gemm's
    /// input type, Cast's source type) in its default op set. A device may still refuse one call of a supported op
    /// (a row-strided view, a library limit): <see cref="IKernels.Supports(OpArgs)"/> answers per call.
    /// </summary>
    /// <param name="op">The op.</param>
    /// <param name="dtype">The data type.</param>
    /// <returns>Whether calls of that op and dtype are implemented.</returns>
    public bool Supports(OpKind op, DType dtype) => Kernels.Supports(op, dtype);

    /// <summary>
    /// Binds this device's context on the calling thread until the returned scope is disposed. Every public entry point
    /// of the interface (allocate, write, read, copy, fill, record, wait, synchronize, every op, disposal) enters it
    /// once, so a backend that needs a current context (CUDA, AscendCL) binds it in one place,
    /// <see cref="EnterContextCore"/>. Backends' own public calls (custom kernels) enter it too. Nests.
    /// </summary>
    /// <returns>The scope; dispose it on the same thread.</returns>
    /// <exception cref="ObjectDisposedException">The device is disposed.</exception>
    public DeviceContextScope EnterContext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return BindsContext ? new DeviceContextScope(this, EnterContextCore()) : default;
    }

    /// <summary>The named implementations of an op on this device ("ours" first, then e.g. "clblast"), for benchmarks.</summary>
    /// <param name="op">The op.</param>
    /// <returns>The variant names; the first is what <see cref="Kernels"/> uses.</returns>
    public virtual IReadOnlyList<string> Variants(OpKind op) => Supports(op, DType.F32) || OpContracts.DataTypes(op).Any(t => Supports(op, t)) ? ["ours"] : [];

    /// <summary>The kernels of a named variant (see <see cref="Variants"/>).</summary>
    /// <param name="variant">The variant name.</param>
    /// <returns>The kernels; ops the variant lacks answer <see cref="IKernels.Supports(OpKind, DType)"/> with false.</returns>
    /// <exception cref="ArgumentException">The device has no such variant.</exception>
    public virtual IKernels GetVariant(string variant) =>
        variant == "ours" ? Kernels : throw new ArgumentException($"{Id} has no kernel variant '{variant}'.", nameof(variant));

    /// <summary>Allocates a buffer and returns a row-major view over all of it.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions, outermost first; none means a scalar (one element).</param>
    /// <returns>A view over a new buffer. Contents are unspecified until written or filled.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    /// <exception cref="OutOfDeviceMemoryException">The device has not enough memory.</exception>
    /// <exception cref="ObjectDisposedException">The device is disposed.</exception>
    public TensorView Allocate(DType dtype, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = TensorView.CountElements(shape);
        DeviceBuffer buffer = AllocateBuffer(dtype, count);
        return new TensorView(buffer, 0, shape);
    }

    /// <summary>Allocates a buffer of <paramref name="length"/> elements.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="length">The number of elements (not bytes); 0 is allowed.</param>
    /// <returns>The buffer; the caller disposes it (or the device does, when disposed first).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or the byte size overflows.</exception>
    /// <exception cref="OutOfDeviceMemoryException">The device has not enough memory.</exception>
    /// <exception cref="ObjectDisposedException">The device is disposed.</exception>
    public DeviceBuffer AllocateBuffer(DType dtype, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _ = dtype.SizeInBytes();
        if (length > long.MaxValue / 8)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The byte size overflows.");
        }

        DeviceBuffer buffer;
        using (EnterContext())
        {
            buffer = AllocateBufferCore(dtype, length);
        }

        Track(buffer);
        return buffer;
    }

    /// <summary>Creates an in-order stream.</summary>
    /// <returns>The stream; the caller disposes it (or the device does, when disposed first).</returns>
    /// <exception cref="ObjectDisposedException">The device is disposed.</exception>
    public DeviceStream CreateStream()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        DeviceStream stream;
        using (EnterContext())
        {
            stream = CreateStreamCore();
        }

        Track(stream);
        return stream;
    }

    /// <summary>Waits until every stream of this device has finished its queued work.</summary>
    /// <exception cref="StreamFaultedException">Queued work on some stream failed.</exception>
    public void Synchronize()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (DeviceStream s in Owned<DeviceStream>())
        {
            s.Synchronize();
        }
    }

    /// <summary>Synchronises, then releases every stream and buffer the device still owns and the device itself.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({Info.Name})";

    /// <summary>
    /// Whether the backend binds a context per thread. When false (the default: CPU, OpenCL),
    /// <see cref="EnterContext"/> costs nothing and <see cref="EnterContextCore"/> is never called.
    /// </summary>
    protected virtual bool BindsContext => false;

    /// <summary>
    /// Makes this device's context current on the calling thread and returns a token that lets
    /// <see cref="ExitContextCore"/> restore what was current before (for example the previous context handle).
    /// Called only when <see cref="BindsContext"/> is true.
    /// </summary>
    /// <returns>The token handed back to <see cref="ExitContextCore"/>.</returns>
    protected virtual nint EnterContextCore() => 0;

    /// <summary>Restores the binding that <see cref="EnterContextCore"/> replaced.</summary>
    /// <param name="token">What <see cref="EnterContextCore"/> returned.</param>
    protected virtual void ExitContextCore(nint token)
    {
    }

    /// <summary>Allocates backend memory. Arguments are already validated; the context is bound.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="length">Elements, ≥ 0.</param>
    /// <returns>The buffer.</returns>
    protected abstract DeviceBuffer AllocateBufferCore(DType dtype, long length);

    /// <summary>Creates a backend stream.</summary>
    /// <returns>The stream.</returns>
    protected abstract DeviceStream CreateStreamCore();

    /// <summary>Releases the device's own native resources, after its streams and buffers are gone.</summary>
    protected virtual void DisposeCore()
    {
    }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_gate)
        {
            // One disposal: a second call (or one from another thread) returns, and a stream or buffer created from now
            // on is released and refused (Track) instead of escaping the snapshot below.
            if (_closing)
            {
                return;
            }

            _closing = true;
        }

        using DeviceContextScope scope = EnterContext();
        foreach (DeviceStream s in Owned<DeviceStream>())
        {
            try
            {
                s.Synchronize();
            }
#pragma warning disable CA1031 // disposal must not throw for a stream that faulted earlier, or one another thread is using
            catch (Exception ex) when (ex is BackendException or InvalidOperationException or ObjectDisposedException)
#pragma warning restore CA1031
            {
            }

            s.Dispose();
        }

        if (_scratch.IsValueCreated)
        {
            _scratch.Value.Clear();
        }

        foreach (DeviceBuffer b in Owned<DeviceBuffer>())
        {
            b.Dispose();
        }

        _disposed = true;
        DisposeCore();
    }

    /// <summary>Throws when <paramref name="buffer"/> belongs to another device or is disposed.</summary>
    /// <param name="buffer">The buffer.</param>
    /// <param name="argument">The argument name for the message.</param>
    internal void CheckOwned(DeviceBuffer buffer, string argument)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!ReferenceEquals(buffer.Device, this))
        {
            throw new DeviceMismatchException(argument, Id, buffer.Device.Id);
        }

        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
    }

    internal void ExitContextInternal(nint token) => ExitContextCore(token);

    internal void Untrack(IDisposable item)
    {
        lock (_gate)
        {
            _owned.Remove(item);
        }
    }

    private void Track(IDisposable item)
    {
        lock (_gate)
        {
            if (!_closing)
            {
                _owned.Add(item);
                return;
            }
        }

        // The device began disposing after this call's check: release the new object rather than leak it.
        item.Dispose();
        throw new ObjectDisposedException(ToString(), "The device was disposed while this call ran.");
    }

    private List<T> Owned<T>()
    {
        lock (_gate)
        {
            return _owned.OfType<T>().ToList();
        }
    }
}
