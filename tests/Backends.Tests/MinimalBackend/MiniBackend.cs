using System.Collections.Generic;

namespace Backends.Tests.MinimalBackend;

/// <summary>
/// The smallest backend the interface allows, as proof and as a template: host memory, a stream that runs each call
/// at once, events with the host clock, and one op (Add, contiguous views only). Every other op, and a strided Add, is
/// answered as unsupported; the conformance suite and <c>backends verify</c> must report them so and pass the rest.
/// It also binds a (pretend) per-thread context through <see cref="Device.EnterContext"/>, and every backend call
/// checks that the context is bound, so a public entry point that forgets the hook fails the suite.
/// </summary>
internal sealed class MiniBackend : Backend
{
    public const string BackendName = "mini";

    public MiniBackend()
        : base(BackendName)
    {
    }

    protected override IReadOnlyList<DeviceInfo> ProbeDevices() =>
    [
        new DeviceInfo
        {
            Id = BackendName + ":0",
            Backend = BackendName,
            Index = 0,
            Name = "minimal test backend (host memory, Add only)",
            Kind = DeviceKind.Cpu,
            Priority = DevicePriority.Emulator,
        },
    ];

    protected override Device OpenCore(DeviceInfo info) => new MiniDevice(info);
}
