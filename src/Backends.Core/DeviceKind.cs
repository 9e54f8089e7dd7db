namespace Backends;

/// <summary>What kind of processor a device is.</summary>
public enum DeviceKind
{
    /// <summary>A host CPU.</summary>
    Cpu,

    /// <summary>A GPU.</summary>
    Gpu,

    /// <summary>Another accelerator (an NPU such as Ascend, an FPGA).</summary>
    Accelerator,

    /// <summary>A software stand-in for another kind (ILGPU's CPU accelerator, the AscendCL simulator).</summary>
    Emulator,
}
