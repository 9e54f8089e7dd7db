using System;
using System.Collections.Generic;
using System.Globalization;

namespace Backends;

/// <summary>
/// A device's stream-ordered pool of temporary device memory, the one place where a backend gets memory for a single
/// launch: per-launch temporaries, counters and vendor-library workspaces (cuBLAS, aclnn). Rent a
/// <see cref="ScratchBuffer"/> for a stream, queue the work that uses it on that stream, then dispose the scratch buffer:
/// its memory goes back to the pool without waiting.
/// </summary>
/// <remarks>
/// <para>
/// Freed memory is reused only once the stream has passed the launch that used it: by later work on the same stream
/// at once (a stream runs its work in order, so that work starts after the earlier launch is done), and by another
/// stream only once an event recorded when it was returned has completed. So the contents of a scratch buffer must
/// only be touched by work queued on the stream it was rented for.
/// </para>
/// <para>
/// Sizes are rounded up (to a power of two up to 1 MiB, to whole MiB above) so that launches of similar sizes share
/// buffers. Idle memory above <see cref="MaxIdleBytes"/> is released, oldest first. Thread-safe.
/// </para>
/// </remarks>
public sealed class ScratchPool
{
    private const long MiB = 1 << 20;
    private readonly Device _device;
    private readonly object _gate = new();
    private readonly List<Entry> _idle = [];
    private long _idleBytes;
    private long _rented;
    private long _allocated;

    internal ScratchPool(Device device) => _device = device;

    /// <summary>Idle bytes the pool keeps for reuse before it releases the oldest (default 256 MiB).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxIdleBytes
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 256 * MiB;

    /// <summary>Bytes held idle for reuse now.</summary>
    public long IdleBytes
    {
        get
        {
            lock (_gate)
            {
                return _idleBytes;
            }
        }
    }

    /// <summary>Rentals served so far.</summary>
    public long Rentals => System.Threading.Interlocked.Read(ref _rented);

    /// <summary>Buffers the pool had to allocate so far (rentals minus reuses).</summary>
    public long Allocations => System.Threading.Interlocked.Read(ref _allocated);

    /// <summary>Rents temporary memory for work queued on <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream whose work will use the memory (a stream of this device).</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="length">Elements needed, ≥ 0 (the view has exactly this many; the buffer may be larger).</param>
    /// <returns>The scratch buffer; dispose it once the work that uses it is queued. Contents are unspecified.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or above int.MaxValue.</exception>
    /// <exception cref="DeviceMismatchException">The stream belongs to another device.</exception>
    /// <exception cref="ObjectDisposedException">The stream or the device is disposed.</exception>
    /// <exception cref="OutOfDeviceMemoryException">The device has not enough memory.</exception>
    public ScratchBuffer Rent(DeviceStream stream, DType dtype, long length)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ObjectDisposedException.ThrowIf(stream.IsDisposed, stream);
        ObjectDisposedException.ThrowIf(_device.IsDisposed, _device);
        if (!ReferenceEquals(stream.Device, _device))
        {
            throw new DeviceMismatchException(nameof(stream), _device.Id, stream.Device.Id);
        }

        int size = dtype.SizeInBytes();
        if (length > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "A scratch view holds at most int.MaxValue elements; rent a wider dtype.");
        }

        System.Threading.Interlocked.Increment(ref _rented);
        DeviceBuffer? buffer = Take(stream, dtype, length);
        if (buffer is null)
        {
            long bytes = RoundUp(Math.Max(length, 1) * size);
            buffer = _device.AllocateBuffer(dtype, (bytes + size - 1) / size);
            System.Threading.Interlocked.Increment(ref _allocated);
        }

        return new ScratchBuffer(this, stream, buffer, length);
    }

    /// <summary>Releases every idle buffer now (buffers still used by queued work are freed when that work completes).</summary>
    public void Trim()
    {
        List<Entry> drop;
        lock (_gate)
        {
            drop = [.. _idle];
            _idle.Clear();
            _idleBytes = 0;
        }

        foreach (Entry e in drop)
        {
            e.Release();
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"scratch pool of {_device.Id}: {Rentals} rentals, {Allocations} allocations, {IdleBytes} bytes idle");

    internal void Clear() => Trim();

    internal void Return(DeviceStream stream, DeviceBuffer buffer)
    {
        if (buffer.IsDisposed || _device.IsDisposed)
        {
            return;
        }

        DeviceEvent? done = null;
        try
        {
            if (!stream.IsDisposed)
            {
                done = stream.Record();
            }
        }
        catch (BackendException)
        {
            // A faulted stream cannot record: without an event the buffer cannot be proven free, so it is not reused.
        }
        catch (ObjectDisposedException)
        {
        }

        if (done is null)
        {
            buffer.Dispose();
            return;
        }

        List<Entry> drop = [];
        lock (_gate)
        {
            _idle.Add(new Entry(buffer, stream, done));
            _idleBytes += buffer.SizeInBytes;
            while (_idleBytes > MaxIdleBytes && _idle.Count > 0)
            {
                drop.Add(_idle[0]);
                _idleBytes -= _idle[0].Buffer.SizeInBytes;
                _idle.RemoveAt(0);
            }
        }

        foreach (Entry e in drop)
        {
            e.Release();
        }
    }

    private static long RoundUp(long bytes)
    {
        if (bytes <= 256)
        {
            return 256;
        }

        return bytes <= MiB ? (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes) : (bytes + MiB - 1) / MiB * MiB;
    }

    private DeviceBuffer? Take(DeviceStream stream, DType dtype, long length)
    {
        lock (_gate)
        {
            int best = -1;
            for (int i = 0; i < _idle.Count; i++)
            {
                Entry e = _idle[i];
                if (e.Buffer.DType != dtype || e.Buffer.Length < length || e.Buffer.IsDisposed ||
                    (best >= 0 && _idle[best].Buffer.Length <= e.Buffer.Length))
                {
                    continue;
                }

                // Same stream: later work runs after the launch that used it. Another stream: only once that launch is done.
                if (ReferenceEquals(e.Stream, stream) || e.Done.IsComplete)
                {
                    best = i;
                }
            }

            if (best < 0)
            {
                return null;
            }

            Entry chosen = _idle[best];
            _idle.RemoveAt(best);
            _idleBytes -= chosen.Buffer.SizeInBytes;
            chosen.Done.Dispose();
            return chosen.Buffer;
        }
    }

    private sealed record Entry(DeviceBuffer Buffer, DeviceStream Stream, DeviceEvent Done)
    {
        public void Release()
        {
            Done.Dispose();
            Buffer.Dispose();
        }
    }
}
