using System;
using System.Runtime.InteropServices;

namespace Backends;

/// <summary>
/// An in-order queue of work on one device: writes, reads, copies, fills, op launches and events. Work on one
/// stream runs in the order it was queued; work on two streams may overlap unless ordered by
/// <see cref="Record"/> and <see cref="Wait"/>.
/// </summary>
/// <remarks>
/// One thread at a time may use a stream: a call while another thread is inside a call on the same stream throws
/// <see cref="InvalidOperationException"/> (never a native abort). Failures of queued work make the stream faulted:
/// later synchronising calls throw <see cref="StreamFaultedException"/>. A stream holds at most
/// <see cref="Device.StreamQueueDepth"/> unfinished launches; queuing more waits for the oldest.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A device stream is the CUDA/HIP term; it is not a System.IO.Stream.")]
public abstract class DeviceStream : IDisposable
{
    private int _disposed;
    private int _owner;
    private int _nesting;

    /// <summary>The buffers the current call holds (see <see cref="CheckBuffer"/>); touched only by the owning thread.</summary>
    private System.Collections.Generic.List<DeviceBuffer>? _held;

    /// <summary>Creates the stream object.</summary>
    /// <param name="device">The owning device.</param>
    protected DeviceStream(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
    }

    /// <summary>The owning device.</summary>
    public Device Device { get; }

    /// <summary>Whether <see cref="Dispose()"/> has run.</summary>
    public bool IsDisposed => _disposed != 0;

    /// <summary>
    /// Queues a copy of host data into a view (row-major; a row-strided view gets each row at its place). Returns once
    /// <paramref name="source"/> has been consumed; it may be reused at once.
    /// </summary>
    /// <typeparam name="T">The element's CLR type; must match the view's dtype (float for F32, Half for F16, BFloat16 for BF16, int, sbyte, byte).</typeparam>
    /// <param name="destination">The view to fill.</param>
    /// <param name="source">Exactly <see cref="TensorView.ElementCount"/> elements.</param>
    /// <exception cref="ArgumentException">The type or length does not match the view.</exception>
    /// <exception cref="DeviceMismatchException">The view belongs to another device.</exception>
    /// <exception cref="ObjectDisposedException">The stream, its device or the buffer is disposed.</exception>
    public void Write<T>(TensorView destination, ReadOnlySpan<T> source)
        where T : unmanaged
    {
        using StreamUseScope use = EnterUse(); // first: CheckView then holds the buffers until the call returns
        CheckView(destination, nameof(destination));
        CheckElementType<T>(destination, nameof(source));
        if (source.Length != destination.ElementCount)
        {
            throw new ArgumentException($"The source has {source.Length} elements; {destination} needs {destination.ElementCount}.", nameof(source));
        }

        WriteRows(destination, MemoryMarshal.AsBytes(source));
    }

    /// <summary>Queues a copy of raw bytes into a view (the bytes are the elements' little-endian encoding, row-major).</summary>
    /// <param name="destination">The view to fill.</param>
    /// <param name="source">Exactly <see cref="TensorView.SizeInBytes"/> bytes.</param>
    /// <exception cref="ArgumentException">The length does not match the view.</exception>
    /// <exception cref="DeviceMismatchException">The view belongs to another device.</exception>
    /// <exception cref="ObjectDisposedException">The stream, its device or the buffer is disposed.</exception>
    public void WriteBytes(TensorView destination, ReadOnlySpan<byte> source)
    {
        using StreamUseScope use = EnterUse(); // first: CheckView then holds the buffers until the call returns
        CheckView(destination, nameof(destination));
        if (source.Length != destination.SizeInBytes)
        {
            throw new ArgumentException($"The source has {source.Length} bytes; {destination} needs {destination.SizeInBytes}.", nameof(source));
        }

        WriteRows(destination, source);
    }

    /// <summary>Waits for all work queued before it, then copies a view into host memory (row-major).</summary>
    /// <typeparam name="T">The element's CLR type; must match the view's dtype.</typeparam>
    /// <param name="source">The view to read.</param>
    /// <param name="destination">Exactly <see cref="TensorView.ElementCount"/> elements.</param>
    /// <exception cref="ArgumentException">The type or length does not match the view.</exception>
    /// <exception cref="DeviceMismatchException">The view belongs to another device.</exception>
    /// <exception cref="StreamFaultedException">Earlier queued work failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream, its device or the buffer is disposed.</exception>
    public void Read<T>(TensorView source, Span<T> destination)
        where T : unmanaged
    {
        using StreamUseScope use = EnterUse(); // first: CheckView then holds the buffers until the call returns
        CheckView(source, nameof(source));
        CheckElementType<T>(source, nameof(destination));
        if (destination.Length != source.ElementCount)
        {
            throw new ArgumentException($"The destination has {destination.Length} elements; {source} has {source.ElementCount}.", nameof(destination));
        }

        ReadRows(source, MemoryMarshal.AsBytes(destination));
    }

    /// <summary>Waits for all work queued before it, then returns a view's elements as a new array.</summary>
    /// <typeparam name="T">The element's CLR type; must match the view's dtype.</typeparam>
    /// <param name="source">The view to read.</param>
    /// <returns>The elements, row-major.</returns>
    /// <exception cref="ArgumentException">The type does not match, or the view has more elements than an array holds.</exception>
    /// <exception cref="StreamFaultedException">Earlier queued work failed.</exception>
    public T[] Read<T>(TensorView source)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.ElementCount > Array.MaxLength)
        {
            throw new ArgumentException($"{source} is too large for one array.", nameof(source));
        }

        var result = new T[source.ElementCount];
        Read<T>(source, result);
        return result;
    }

    /// <summary>Waits for all work queued before it, then copies a view's raw bytes into host memory (row-major).</summary>
    /// <param name="source">The view to read.</param>
    /// <param name="destination">Exactly <see cref="TensorView.SizeInBytes"/> bytes.</param>
    /// <exception cref="ArgumentException">The length does not match.</exception>
    /// <exception cref="StreamFaultedException">Earlier queued work failed.</exception>
    public void ReadBytes(TensorView source, Span<byte> destination)
    {
        using StreamUseScope use = EnterUse(); // first: CheckView then holds the buffers until the call returns
        CheckView(source, nameof(source));
        if (destination.Length != source.SizeInBytes)
        {
            throw new ArgumentException($"The destination has {destination.Length} bytes; {source} has {source.SizeInBytes}.", nameof(destination));
        }

        ReadRows(source, destination);
    }

    /// <summary>
    /// Queues a device-to-device copy between two views of the same dtype and element count. Shapes may differ when both
    /// views are contiguous; a row-strided view needs a partner with the same row length (rows are copied one by one).
    /// </summary>
    /// <param name="source">The view to read.</param>
    /// <param name="destination">The view to write; must not partly overlap <paramref name="source"/>.</param>
    /// <exception cref="ArgumentException">Dtypes or element counts differ, strided rows do not match, or the views partly overlap.</exception>
    /// <exception cref="DeviceMismatchException">A view belongs to another device.</exception>
    public void Copy(TensorView source, TensorView destination)
    {
        using StreamUseScope use = EnterUse(); // first: CheckView then holds the buffers until the call returns
        CheckView(source, nameof(source));
        CheckView(destination, nameof(destination));
        if (source.DType != destination.DType)
        {
            throw new ArgumentException($"Copy needs equal dtypes: {source} to {destination}; use Cast to convert.", nameof(destination));
        }

        if (source.ElementCount != destination.ElementCount)
        {
            throw new ArgumentException($"Copy needs equal element counts: {source} to {destination}.", nameof(destination));
        }

        bool contiguous = source.IsContiguous && destination.IsContiguous;
        if (!contiguous && source.RowLength != destination.RowLength)
        {
            throw new ArgumentException($"Copy between {source} and {destination}: a row-strided view needs a partner with the same row length.", nameof(destination));
        }

        if (source.Overlaps(destination))
        {
            if (source.IsSameAs(destination) || (contiguous && source.Offset == destination.Offset))
            {
                return; // same elements: nothing to move
            }

            throw new ArgumentException($"{source} and {destination} overlap.", nameof(destination));
        }

        if (source.ElementCount == 0)
        {
            return;
        }

        using StreamUseScope scope = EnterUse();
        if (contiguous)
        {
            CopyCore(source.Buffer, source.ByteOffset, destination.Buffer, destination.ByteOffset, source.SizeInBytes);
            return;
        }

        int size = source.DType.SizeInBytes();
        long rowBytes = source.RowLength * size;
        for (long r = 0; r < source.RowCount; r++)
        {
            CopyCore(source.Buffer, (source.Offset + (r * source.RowStride)) * size, destination.Buffer, (destination.Offset + (r * destination.RowStride)) * size, rowBytes);
        }
    }

    /// <summary>Queues filling every element of a view with one value (a row-strided view's gaps are left alone).</summary>
    /// <typeparam name="T">The element's CLR type; must match the view's dtype.</typeparam>
    /// <param name="destination">The view to fill.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentException">The type does not match the view.</exception>
    public void Fill<T>(TensorView destination, T value)
        where T : unmanaged
    {
        using StreamUseScope use = EnterUse(); // first: CheckView then holds the buffers until the call returns
        CheckView(destination, nameof(destination));
        CheckElementType<T>(destination, nameof(value));
        if (destination.ElementCount == 0)
        {
            return;
        }

        ReadOnlySpan<byte> pattern = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value));
        using StreamUseScope scope = EnterUse();
        if (destination.IsContiguous)
        {
            FillCore(destination.Buffer, destination.ByteOffset, destination.SizeInBytes, pattern);
            return;
        }

        int size = destination.DType.SizeInBytes();
        for (long r = 0; r < destination.RowCount; r++)
        {
            FillCore(destination.Buffer, (destination.Offset + (r * destination.RowStride)) * size, destination.RowLength * size, pattern);
        }
    }

    /// <summary>Queues an event that completes when all work queued before it has completed.</summary>
    /// <returns>The event; the caller disposes it.</returns>
    public DeviceEvent Record()
    {
        ThrowIfDisposed();
        using StreamUseScope scope = EnterUse();
        return RecordCore();
    }

    /// <summary>Makes work queued after this call wait until <paramref name="deviceEvent"/> completes (it may come from another stream of the same device). Does not block the caller.</summary>
    /// <param name="deviceEvent">The event.</param>
    /// <exception cref="DeviceMismatchException">The event belongs to another device.</exception>
    /// <exception cref="ObjectDisposedException">The stream, the device or the event is disposed.</exception>
    public void Wait(DeviceEvent deviceEvent)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(deviceEvent);
        if (!ReferenceEquals(deviceEvent.Device, Device))
        {
            throw new DeviceMismatchException(nameof(deviceEvent), Device.Id, deviceEvent.Device.Id);
        }

        ObjectDisposedException.ThrowIf(deviceEvent.IsDisposed, deviceEvent);
        using StreamUseScope scope = EnterUse();
        WaitCore(deviceEvent);
    }

    /// <summary>Blocks until all queued work has completed.</summary>
    /// <exception cref="StreamFaultedException">Queued work failed.</exception>
    public void Synchronize()
    {
        ThrowIfDisposed();
        using StreamUseScope scope = EnterUse();
        SynchronizeCore();
    }

    /// <summary>
    /// Waits for queued work to finish (errors are not rethrown here), then releases the stream. A call that another
    /// thread is making on the stream at that moment is let finish first; calls that start after this one throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (System.Threading.Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Take the stream from any thread inside a call on it (never given back: every later call is refused), so the
        // native queue, staging memory and pending lists are not released under that call.
        int me = Environment.CurrentManagedThreadId;
        var spinner = default(System.Threading.SpinWait);
        for (int owner = System.Threading.Interlocked.CompareExchange(ref _owner, me, 0); owner != 0 && owner != me; owner = System.Threading.Interlocked.CompareExchange(ref _owner, me, 0))
        {
            spinner.SpinOnce();
        }

        if (Device.IsDisposed)
        {
            DisposeCore();
        }
        else
        {
            using DeviceContextScope scope = Device.EnterContext();
            DisposeCore();
        }

        Device.Untrack(this);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Checks that a view can be used on this stream: not null, same device, nothing disposed. Inside a call on the
    /// stream (<see cref="EnterUse"/>) its buffer is then held until the call ends (see <see cref="CheckBuffer"/>).
    /// </summary>
    /// <param name="view">The view.</param>
    /// <param name="argument">The argument name for messages.</param>
    /// <exception cref="ArgumentNullException">The view is null.</exception>
    /// <exception cref="DeviceMismatchException">The view belongs to another device.</exception>
    /// <exception cref="ObjectDisposedException">The stream, device or buffer is disposed.</exception>
    public void CheckView(TensorView view, string argument)
    {
        ArgumentNullException.ThrowIfNull(view, argument);
        CheckBuffer(view.Buffer, argument);
    }

    /// <summary>
    /// Checks that a buffer can be used on this stream: not null, same device, nothing disposed. Called inside a call
    /// on the stream (after <see cref="EnterUse"/>, as every entry point of the interface does), it also holds the
    /// buffer until that call ends: a <see cref="DeviceBuffer.Dispose()"/> on another thread meanwhile releases the
    /// memory after the call's native work, never under it. A backend's own calls that pass device addresses (custom
    /// kernels) check their buffers here.
    /// </summary>
    /// <param name="buffer">The buffer.</param>
    /// <param name="argument">The argument name for messages.</param>
    /// <exception cref="ArgumentNullException">The buffer is null.</exception>
    /// <exception cref="DeviceMismatchException">The buffer belongs to another device.</exception>
    /// <exception cref="ObjectDisposedException">The stream, device or buffer is disposed.</exception>
    public void CheckBuffer(DeviceBuffer buffer, string argument)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(buffer, argument);
        Device.CheckOwned(buffer, argument);
        if (System.Threading.Volatile.Read(ref _owner) == Environment.CurrentManagedThreadId && _nesting > 0 && !IsHeld(buffer))
        {
            if (!buffer.TryHold())
            {
                throw new ObjectDisposedException(buffer.ToString(), "The buffer was disposed.");
            }

            (_held ??= []).Add(buffer);
        }
    }

    /// <summary>Whether the current call holds <paramref name="buffer"/> already (one hold per buffer, so a long scope of many calls on the same buffers keeps a short list).</summary>
    private bool IsHeld(DeviceBuffer buffer)
    {
        if (_held is { } held)
        {
            for (int i = 0; i < held.Count; i++)
            {
                if (ReferenceEquals(held[i], buffer))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Marks the start of one public call on this stream by the calling thread and binds the device's context; dispose
    /// the scope at the end of the call. Every public entry point of the interface enters it; a backend's own public
    /// calls on a stream (custom kernels) enter it too. Nested uses on the same thread are fine.
    /// </summary>
    /// <returns>The scope.</returns>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on this stream (one thread at a time).</exception>
    /// <exception cref="ObjectDisposedException">The stream or its device is disposed.</exception>
    public StreamUseScope EnterUse()
    {
        ThrowIfDisposed();
        int me = Environment.CurrentManagedThreadId;
        int owner = System.Threading.Interlocked.CompareExchange(ref _owner, me, 0);
        if (owner != 0 && owner != me)
        {
            // Disposed meanwhile (Dispose keeps the stream to itself from then on): that, not a second user, is the cause.
            ThrowIfDisposed();
            throw new InvalidOperationException(
                $"A stream of {Device.Id} is used by two threads at once (thread {owner} is inside a call on it): use one stream per thread, or synchronise the threads.");
        }

        _nesting++;
        try
        {
            // Disposed between the check above and taking the stream: refuse (Dispose waits for this thread to let go).
            ThrowIfDisposed();
            return new StreamUseScope(this, Device.EnterContext());
        }
        catch
        {
            ExitUse();
            throw;
        }
    }

    internal void ExitUse()
    {
        if (--_nesting == 0)
        {
            try
            {
                ReleaseHolds();
            }
            finally
            {
                System.Threading.Volatile.Write(ref _owner, 0);
            }
        }
    }

    /// <summary>Ends the holds the finished call took on its buffers (each one, even when a deferred release throws).</summary>
    private void ReleaseHolds()
    {
        if (_held is not { Count: > 0 } held)
        {
            return;
        }

        Exception? first = null;
        for (int i = 0; i < held.Count; i++)
        {
            try
            {
                held[i].Unhold(); // the last hold of a buffer disposed meanwhile releases its memory here
            }
#pragma warning disable CA1031 // every hold is ended; the first failure of a deferred release is rethrown after
            catch (Exception ex)
#pragma warning restore CA1031
            {
                first ??= ex;
            }
        }

        held.Clear();

        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the stream is disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);

    /// <summary>Queues a host-to-device copy of one contiguous range; must consume <paramref name="source"/> before returning. The context is bound (as for every <c>...Core</c> method).</summary>
    /// <param name="destination">The buffer.</param>
    /// <param name="byteOffset">Byte offset into the buffer.</param>
    /// <param name="source">The bytes.</param>
    protected abstract void WriteCore(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source);

    /// <summary>Waits for the stream, then copies device bytes to the host.</summary>
    /// <param name="source">The buffer.</param>
    /// <param name="byteOffset">Byte offset into the buffer.</param>
    /// <param name="destination">The host bytes.</param>
    protected abstract void ReadCore(DeviceBuffer source, long byteOffset, Span<byte> destination);

    /// <summary>Queues a device-to-device copy of non-overlapping ranges.</summary>
    /// <param name="source">Source buffer.</param>
    /// <param name="sourceByteOffset">Source byte offset.</param>
    /// <param name="destination">Destination buffer.</param>
    /// <param name="destinationByteOffset">Destination byte offset.</param>
    /// <param name="byteCount">Bytes to copy, &gt; 0.</param>
    protected abstract void CopyCore(DeviceBuffer source, long sourceByteOffset, DeviceBuffer destination, long destinationByteOffset, long byteCount);

    /// <summary>Queues a fill with a repeated pattern of one element.</summary>
    /// <param name="destination">The buffer.</param>
    /// <param name="byteOffset">Byte offset.</param>
    /// <param name="byteCount">Bytes to fill, a multiple of the pattern length, &gt; 0.</param>
    /// <param name="pattern">One element's bytes.</param>
    protected abstract void FillCore(DeviceBuffer destination, long byteOffset, long byteCount, ReadOnlySpan<byte> pattern);

    /// <summary>Queues an event.</summary>
    /// <returns>The event.</returns>
    protected abstract DeviceEvent RecordCore();

    /// <summary>Queues a wait on an event of the same device.</summary>
    /// <param name="deviceEvent">The event.</param>
    protected abstract void WaitCore(DeviceEvent deviceEvent);

    /// <summary>Blocks until queued work completes; throws <see cref="StreamFaultedException"/> on a failure.</summary>
    protected abstract void SynchronizeCore();

    /// <summary>Drains and releases the stream (once).</summary>
    protected abstract void DisposeCore();

    private void WriteRows(TensorView destination, ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return;
        }

        using StreamUseScope scope = EnterUse();
        if (destination.IsContiguous)
        {
            WriteCore(destination.Buffer, destination.ByteOffset, source);
            return;
        }

        int size = destination.DType.SizeInBytes();
        int rowBytes = checked((int)(destination.RowLength * size));
        for (long r = 0; r < destination.RowCount; r++)
        {
            WriteCore(destination.Buffer, (destination.Offset + (r * destination.RowStride)) * size, source.Slice(checked((int)(r * rowBytes)), rowBytes));
        }
    }

    private void ReadRows(TensorView source, Span<byte> destination)
    {
        using StreamUseScope scope = EnterUse();
        if (destination.IsEmpty)
        {
            SynchronizeCore(); // still waits for queued work, as a read does
            return;
        }

        if (source.IsContiguous)
        {
            ReadCore(source.Buffer, source.ByteOffset, destination);
            return;
        }

        int size = source.DType.SizeInBytes();
        int rowBytes = checked((int)(source.RowLength * size));
        for (long r = 0; r < source.RowCount; r++)
        {
            ReadCore(source.Buffer, (source.Offset + (r * source.RowStride)) * size, destination.Slice(checked((int)(r * rowBytes)), rowBytes));
        }
    }

    private static void CheckElementType<T>(TensorView view, string argument)
        where T : unmanaged
    {
        DType? t = DTypeExtensions.Of<T>();
        if (t != view.DType)
        {
            throw new ArgumentException(
                $"{view} holds {view.DType.ToShortName()} ({view.DType.ClrType().Name}); {typeof(T).Name} does not match.", argument);
        }
    }
}
