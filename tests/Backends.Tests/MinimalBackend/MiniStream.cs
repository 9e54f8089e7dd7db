using System;

namespace Backends.Tests.MinimalBackend;

/// <summary>A stream that runs every call at once on the calling thread: trivially in order.</summary>
internal sealed class MiniStream : DeviceStream
{
    public MiniStream(MiniDevice device)
        : base(device)
    {
    }

    protected override void WriteCore(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source)
    {
        MiniDevice.RequireBound();
        source.CopyTo(((MiniBuffer)destination).Bytes(byteOffset, source.Length));
    }

    protected override void ReadCore(DeviceBuffer source, long byteOffset, Span<byte> destination)
    {
        MiniDevice.RequireBound();
        ((MiniBuffer)source).Bytes(byteOffset, destination.Length).CopyTo(destination);
    }

    protected override void CopyCore(DeviceBuffer source, long sourceByteOffset, DeviceBuffer destination, long destinationByteOffset, long byteCount)
    {
        MiniDevice.RequireBound();
        ((MiniBuffer)source).Bytes(sourceByteOffset, byteCount).CopyTo(((MiniBuffer)destination).Bytes(destinationByteOffset, byteCount));
    }

    protected override void FillCore(DeviceBuffer destination, long byteOffset, long byteCount, ReadOnlySpan<byte> pattern)
    {
        MiniDevice.RequireBound();
        Span<byte> target = ((MiniBuffer)destination).Bytes(byteOffset, byteCount);
        for (int i = 0; i < target.Length; i += pattern.Length)
        {
            pattern.CopyTo(target[i..]);
        }
    }

    protected override DeviceEvent RecordCore()
    {
        MiniDevice.RequireBound();
        return new MiniEvent((MiniDevice)Device);
    }

    protected override void WaitCore(DeviceEvent deviceEvent) => MiniDevice.RequireBound(); // everything before it has already run

    protected override void SynchronizeCore() => MiniDevice.RequireBound();

    protected override void DisposeCore() => MiniDevice.RequireBound();
}
