using System.Diagnostics;

namespace Backends.Tests.MinimalBackend;

/// <summary>An event of a stream that has already run everything: complete at once, timed by the host clock.</summary>
internal sealed class MiniEvent : DeviceEvent
{
    private readonly long _ticks = Stopwatch.GetTimestamp();

    public MiniEvent(MiniDevice device)
        : base(device)
    {
    }

    protected override bool IsCompleteCore()
    {
        MiniDevice.RequireBound();
        return true;
    }

    protected override void SynchronizeCore() => MiniDevice.RequireBound();

    protected override double ElapsedNanosecondsCore(DeviceEvent start)
    {
        MiniDevice.RequireBound();
        return (_ticks - ((MiniEvent)start)._ticks) * (1e9 / Stopwatch.Frequency);
    }
}
