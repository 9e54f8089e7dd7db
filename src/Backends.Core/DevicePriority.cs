namespace Backends;

/// <summary>
/// The scale of <see cref="DeviceInfo.Priority"/> that <see cref="BackendRegistry.DefaultDevice"/> ranks devices by
/// (higher first; ties go to registration order): a discrete GPU or a dedicated accelerator, then an integrated GPU,
/// then a CPU driven through a device API (OpenCL on PoCL), then the managed CPU backend. Emulators and test stand-ins
/// are never the default. A backend may add a little within a band (a bigger GPU first) but stays inside it.
/// </summary>
public static class DevicePriority
{
    /// <summary>A discrete GPU or a dedicated accelerator (an Ascend NPU): the default when present.</summary>
    public const int DiscreteGpu = 400;

    /// <summary>A GPU sharing the host's memory.</summary>
    public const int IntegratedGpu = 300;

    /// <summary>A CPU reached through a device API (an OpenCL CPU device such as PoCL).</summary>
    public const int CpuDevice = 200;

    /// <summary>The managed CPU backend, always present.</summary>
    public const int CpuBackend = 100;

    /// <summary>An emulator or a stand-in library (a CUDA kernel emulator, a simulated AscendCL): never picked by default.</summary>
    public const int Emulator = 0;
}
