using System;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>
/// An AscendCL stream. Host copies go through pinned staging memory from <c>aclrtMallocHost</c> (the only memory
/// <c>aclrtMemcpyAsync</c> copies asynchronously) in chunks of at most <see cref="StagingBytes"/>, and are complete when
/// they return; ops and device copies are queued.
/// </summary>
internal sealed unsafe class CannStream : DeviceStream
{
    /// <summary>Largest pinned staging buffer per stream (8 MiB); bigger transfers go in chunks.</summary>
    public const long StagingBytes = 8L << 20;

    private readonly CannDevice _device;
    private nint _staging;
    private long _stagingBytes;

    public CannStream(CannDevice device, nint handle)
        : base(device)
    {
        _device = device;
        Handle = handle;
    }

    /// <summary>The <c>aclrtStream</c>.</summary>
    public nint Handle { get; }

    private nint Staging(long bytes)
    {
        long want = Math.Min(Math.Max(bytes, 4096), StagingBytes);
        if (_staging == 0 || _stagingBytes < want)
        {
            FreeStaging();
            nint p = 0;
            int rc = Acl.aclrtMallocHost(&p, (nuint)want);
            if (rc != 0)
            {
                throw CannErrors.Create(rc, "aclrtMallocHost", want, _device.Id);
            }

            _staging = p;
            _stagingBytes = want;
        }

        return _staging;
    }

    private void FreeStaging()
    {
        if (_staging != 0)
        {
            nint p = _staging;
            _staging = 0;
            _stagingBytes = 0;
            CannErrors.Check(Acl.aclrtFreeHost(p), "aclrtFreeHost");
        }
    }

    protected override void WriteCore(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source)
    {
        var dst = (CannBuffer)destination;
        for (long done = 0; done < source.Length;)
        {
            int n = (int)Math.Min(source.Length - done, StagingBytes);
            nint staging = Staging(n);
            source.Slice((int)done, n).CopyTo(new Span<byte>((void*)staging, n));
            long at = byteOffset + done;
            CannErrors.Check(Acl.aclrtMemcpyAsync(dst.Address + (nint)at, (nuint)(dst.AllocatedBytes - at), staging, (nuint)n, Acl.HostToDevice, Handle), "aclrtMemcpyAsync");
            SynchronizeCore(); // the staging memory is reused by the next chunk and the next call
            done += n;
        }
    }

    protected override void ReadCore(DeviceBuffer source, long byteOffset, Span<byte> destination)
    {
        var src = (CannBuffer)source;
        for (long done = 0; done < destination.Length;)
        {
            int n = (int)Math.Min(destination.Length - done, StagingBytes);
            nint staging = Staging(n);
            CannErrors.Check(Acl.aclrtMemcpyAsync(staging, (nuint)_stagingBytes, src.Address + (nint)(byteOffset + done), (nuint)n, Acl.DeviceToHost, Handle), "aclrtMemcpyAsync");
            SynchronizeCore();
            new ReadOnlySpan<byte>((void*)staging, n).CopyTo(destination.Slice((int)done, n));
            done += n;
        }
    }

    protected override void CopyCore(DeviceBuffer source, long sourceByteOffset, DeviceBuffer destination, long destinationByteOffset, long byteCount)
    {
        if (byteCount == 0)
        {
            return;
        }

        var src = (CannBuffer)source;
        var dst = (CannBuffer)destination;
        CannErrors.Check(
            Acl.aclrtMemcpyAsync(dst.Address + (nint)destinationByteOffset, (nuint)(dst.AllocatedBytes - destinationByteOffset), src.Address + (nint)sourceByteOffset, (nuint)byteCount, Acl.DeviceToDevice, Handle),
            "aclrtMemcpyAsync");
    }

    protected override void FillCore(DeviceBuffer destination, long byteOffset, long byteCount, ReadOnlySpan<byte> pattern)
    {
        if (byteCount == 0)
        {
            return;
        }

        var dst = (CannBuffer)destination;
        nint at = dst.Address + (nint)byteOffset;
        bool uniform = true;
        for (int i = 1; i < pattern.Length; i++)
        {
            uniform &= pattern[i] == pattern[0];
        }

        if (uniform)
        {
            CannErrors.Check(Acl.aclrtMemsetAsync(at, (nuint)(dst.AllocatedBytes - byteOffset), pattern[0], (nuint)byteCount, Handle), "aclrtMemsetAsync");
            return;
        }

        // A multi-byte pattern: write one block from the host, then double it with device copies.
        long first = Math.Min(byteCount, 64 * 1024);
        first -= first % pattern.Length;
        var block = new byte[first];
        for (int i = 0; i < block.Length; i += pattern.Length)
        {
            pattern.CopyTo(block.AsSpan(i));
        }

        WriteCore(destination, byteOffset, block);
        for (long done = first; done < byteCount;)
        {
            long n = Math.Min(done, byteCount - done);
            CannErrors.Check(Acl.aclrtMemcpyAsync(at + (nint)done, (nuint)(dst.AllocatedBytes - byteOffset - done), at, (nuint)n, Acl.DeviceToDevice, Handle), "aclrtMemcpyAsync");
            done += n;
        }
    }

    protected override DeviceEvent RecordCore()
    {
        nint e = 0;
        CannErrors.Check(Acl.aclrtCreateEventWithFlag(&e, Acl.EventSyncTimeLine), "aclrtCreateEventWithFlag");
        int rc = Acl.aclrtRecordEvent(e, Handle);
        if (rc != 0)
        {
            _ = Acl.aclrtDestroyEvent(e);
            CannErrors.Check(rc, "aclrtRecordEvent");
        }

        return new CannEvent(_device, e);
    }

    protected override void WaitCore(DeviceEvent deviceEvent) =>
        CannErrors.Check(Acl.aclrtStreamWaitEvent(Handle, ((CannEvent)deviceEvent).Handle), "aclrtStreamWaitEvent");

    protected override void SynchronizeCore()
    {
        int rc = Acl.aclrtSynchronizeStream(Handle);
        if (rc != 0)
        {
            throw new StreamFaultedException(CannErrors.Backend, $"Work queued on a stream of {_device.Id} failed", CannErrors.Create(rc, "aclrtSynchronizeStream"));
        }
    }

    protected override void DisposeCore()
    {
        _ = Acl.aclrtSynchronizeStream(Handle);
        try
        {
            FreeStaging();
        }
        finally
        {
            CannErrors.Check(Acl.aclrtDestroyStream(Handle), "aclrtDestroyStream");
        }
    }
}
