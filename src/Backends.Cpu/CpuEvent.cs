using System.Diagnostics;
using System.Threading;

namespace Backends.Cpu;

/// <summary>An event a CPU stream completes when it reaches it (on its worker, or on a thread waiting for it); the timestamp is the host's monotonic clock.</summary>
internal sealed class CpuEvent : DeviceEvent
{
    private readonly ManualResetEventSlim _done = new(false);
    private readonly CpuStream _stream;
    private long _timestamp;

    public CpuEvent(CpuStream stream)
        : base(stream.Device) => _stream = stream;

    /// <summary>The host's monotonic clock when the worker reached the event, in Stopwatch ticks.</summary>
    private long Timestamp => Volatile.Read(ref _timestamp);

    /// <summary>The event's position in its stream's queue: it is reached once that many items have run.</summary>
    public long Sequence { get; set; }

    public void Complete()
    {
        Volatile.Write(ref _timestamp, Stopwatch.GetTimestamp());
        _done.Set();
    }

    public void WaitForCompletion() => _done.Wait();

    protected override bool IsCompleteCore() => _done.IsSet;

    protected override void SynchronizeCore()
    {
        if (!_done.IsSet)
        {
            // Run the stream's work up to the event on this thread while its worker is not running any.
            _stream.RunUntil(Sequence);
        }

        _done.Wait();
        _stream.ThrowIfFaulted();
    }

    protected override double ElapsedNanosecondsCore(DeviceEvent start) =>
        (Timestamp - ((CpuEvent)start).Timestamp) * (1e9 / Stopwatch.Frequency);
}
