using System;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;

namespace Backends.Cuda;

/// <summary>
/// An ILGPU accelerator stream. Host copies are complete when they return (the host span is consumed); kernels and
/// device copies are queued. A failure of queued work (an exception from a kernel on the emulator, a CUDA launch
/// error) faults the stream: later work is skipped and synchronising calls throw <see cref="StreamFaultedException"/>.
/// </summary>
internal sealed class CudaStream : DeviceStream
{
    private readonly CudaDevice _device;
    private Exception? _fault;

    public CudaStream(CudaDevice device, AcceleratorStream stream)
        : base(device)
    {
        _device = device;
        Stream = stream;
    }

    public AcceleratorStream Stream { get; }

    public void ThrowIfFaulted()
    {
        Exception? f = Volatile.Read(ref _fault);
        if (f is not null)
        {
            throw new StreamFaultedException(_device.BackendName, $"Work queued on a stream of {_device.Id} failed: {f.Message}", f);
        }
    }

    /// <summary>Runs one piece of queued work, recording a failure as the stream's fault (later work is skipped).</summary>
    public void Submit(Action work)
    {
        if (Volatile.Read(ref _fault) is not null)
        {
            return;
        }

        try
        {
            work();
        }
        catch (Exception ex) when (ex is not (ArgumentException or ObjectDisposedException))
        {
            Interlocked.CompareExchange(ref _fault, Typed(ex, "a kernel launch"), null);
        }
    }

    /// <summary>A CUDA error becomes a <see cref="NativeCallException"/> with the CUDA error's name and the call.</summary>
    private static Exception Typed(Exception ex, string call) => ex is ILGPU.Runtime.Cuda.CudaException cuda
        ? new NativeCallException("cuda", -1, cuda.Error, call, cuda.Message, cuda)
        : ex;

    protected override void WriteCore(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source)
    {
        ArrayView<byte> dst = ((CudaBuffer)destination).Bytes.SubView(byteOffset, source.Length);
        byte[] copy = source.ToArray(); // the caller's span may go away as soon as Write returns
        Submit(() =>
        {
            dst.CopyFromCPU(Stream, copy);
            Stream.Synchronize();
        });
    }

    protected override void ReadCore(DeviceBuffer source, long byteOffset, Span<byte> destination)
    {
        SynchronizeCore();
        ArrayView<byte> src = ((CudaBuffer)source).Bytes.SubView(byteOffset, destination.Length);
        src.CopyToCPU(Stream, destination);
        Stream.Synchronize();
    }

    protected override void CopyCore(DeviceBuffer source, long sourceByteOffset, DeviceBuffer destination, long destinationByteOffset, long byteCount)
    {
        ArrayView<byte> src = ((CudaBuffer)source).Bytes.SubView(sourceByteOffset, byteCount);
        ArrayView<byte> dst = ((CudaBuffer)destination).Bytes.SubView(destinationByteOffset, byteCount);
        Submit(() => src.CopyTo(Stream, dst));
    }

    protected override void FillCore(DeviceBuffer destination, long byteOffset, long byteCount, ReadOnlySpan<byte> pattern)
    {
        ArrayView<byte> dst = ((CudaBuffer)destination).Bytes.SubView(byteOffset, byteCount);
        uint value = pattern.Length switch
        {
            1 => pattern[0],
            2 => BitConverter.ToUInt16(pattern),
            _ => BitConverter.ToUInt32(pattern),
        };
        int width = pattern.Length;
        Submit(() => _device.KernelSet.Fill(this, dst, width, value));
    }

    protected override DeviceEvent RecordCore() => new CudaEvent(_device, this, Stream.AddProfilingMarker());

    protected override void WaitCore(DeviceEvent deviceEvent)
    {
        var e = (CudaEvent)deviceEvent;
        if (CudaDriver.EventOf(e.Marker) is { } cuEvent && Cublas.TryStreamOf(Stream) is { } cuStream)
        {
            // On a GPU the stream waits on the device: cuStreamWaitEvent, the host is not blocked.
            CudaDriver.StreamWaitEvent(cuStream, cuEvent);
            return;
        }

        // The emulator (and an ILGPU without the handles) waits on the host, which orders everything queued after.
        e.Marker.Synchronize();
    }

    protected override void SynchronizeCore()
    {
        try
        {
            Stream.Synchronize();
        }
        catch (Exception ex) when (ex is not (ArgumentException or ObjectDisposedException or BackendException))
        {
            Interlocked.CompareExchange(ref _fault, Typed(ex, "cuStreamSynchronize"), null);
        }

        ThrowIfFaulted();
    }

    protected override void DisposeCore()
    {
        try
        {
            Stream.Synchronize();
        }
#pragma warning disable CA1031 // disposal must not throw for a stream that faulted earlier
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        Stream.Dispose();
    }
}
