using System;
using System.Collections.Generic;
using System.Threading;

namespace Backends.Tests.MinimalBackend;

/// <summary>The minimal device: what a backend must write besides its kernels. Its context is a per-thread depth counter.</summary>
internal sealed class MiniDevice : Device
{
    private static readonly ThreadLocal<int> Bound = new(() => 0);
    private readonly MiniKernels _kernels;
    private long _entries;

    public MiniDevice(DeviceInfo info)
        : base(info) => _kernels = new MiniKernels(this);

    public override IKernels Kernels => _kernels;

    /// <summary>How often the context was entered (the hook is used once per public call).</summary>
    public long ContextEntries => Interlocked.Read(ref _entries);

    public override IReadOnlyList<KeyValuePair<string, string>> Diagnostics => [new("context entries", ContextEntries.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    protected override bool BindsContext => true;

    /// <summary>Throws unless the calling thread is inside <see cref="Device.EnterContext"/>: what a CUDA call would need.</summary>
    public static void RequireBound()
    {
        if (Bound.Value <= 0)
        {
            throw new InvalidOperationException("A backend call ran without the device's context bound: a public entry point skipped Device.EnterContext.");
        }
    }

    protected override nint EnterContextCore()
    {
        Interlocked.Increment(ref _entries);
        Bound.Value++;
        return Bound.Value - 1; // the previous depth, restored on exit
    }

    protected override void ExitContextCore(nint token) => Bound.Value = (int)token;

    protected override DeviceBuffer AllocateBufferCore(DType dtype, long length)
    {
        RequireBound();
        return new MiniBuffer(this, dtype, length);
    }

    protected override DeviceStream CreateStreamCore()
    {
        RequireBound();
        return new MiniStream(this);
    }
}
