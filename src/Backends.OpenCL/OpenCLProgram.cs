using System;

namespace Backends.OpenCL;

/// <summary>A user program built by <see cref="OpenCLDevice.BuildProgram"/>; make kernels from it with <see cref="CreateKernel"/>.</summary>
public sealed class OpenCLProgram : IDisposable
{
    private readonly OpenCLDevice _device;
    private readonly ClHandle _program;

    internal OpenCLProgram(OpenCLDevice device, ClHandle program)
    {
        _device = device;
        _program = program;
    }

    /// <summary>Creates a kernel object for one entry point.</summary>
    /// <param name="name">The <c>__kernel</c> function name.</param>
    /// <returns>The kernel; dispose it when done.</returns>
    /// <exception cref="OpenCLException">No such kernel (CL_INVALID_KERNEL_NAME).</exception>
    public OpenCLKernel CreateKernel(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new OpenCLKernel(_device, new KernelSlot(_device.CreateKernel(_program, name), name));
    }

    /// <summary>Releases nothing shared: the program object stays cached by its device for reuse.</summary>
    public void Dispose()
    {
    }
}
