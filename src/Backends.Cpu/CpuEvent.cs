using System.Diagnostics;
using System.Threading;

namespace Backends.Cpu;

/// <summary>An event a CPU stream's worker completes when it reaches it; the timestamp is the host's monotonic clock.</summary>
internal sealed class CpuEvent : DeviceEvent
{
    private readonly ManualResetEventSlim _done = new(false);
    private readonly CpuStream _stream;
    private long _timestamp;

    public CpuEvent(CpuStream stream)
        : base(stream.Device) => _stream = stream;

    public override bool IsComplete => _done.IsSet;

    protected internal override double TimestampNanoseconds => _timestamp * (1e9 / Stopwatch.Frequency);

    public void Complete()
    {
        _timestamp = Stopwatch.GetTimestamp();
        _done.Set();
    }

    public void WaitForCompletion() => _done.Wait();

    public override void Synchronize()
    {
        _done.Wait();
        _stream.ThrowIfFaulted();
    }
}
