using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;

namespace Backends.Cuda;

/// <summary>
/// One ILGPU accelerator: a CUDA GPU (<c>cuda:N</c>) or the CPU accelerator running the same kernels (<c>cuda-emu:0</c>).
/// The accelerator is bound on the calling thread through the interface's context hook.
/// </summary>
public sealed class CudaDevice : Device
{
    [ThreadStatic]
    private static Stack<ScopedAcceleratorBinding>? t_bindings;

    private readonly CudaKernels _kernels;
    private readonly CublasKernels? _cublas;
    private long _allocatedBytes;

    internal CudaDevice(DeviceInfo info, Accelerator accelerator, bool emulator)
        : base(info)
    {
        Accelerator = accelerator;
        IsEmulator = emulator;
        _kernels = new CudaKernels(this);
        _cublas = !emulator && Cublas.IsAvailable ? new CublasKernels(this) : null;
    }

    /// <inheritdoc />
    public override IKernels Kernels => _kernels;

    /// <inheritdoc />
    public override IReadOnlyList<string> Variants(OpKind op) =>
        op == OpKind.Gemm && _cublas is not null ? ["ours", "cublas"] : base.Variants(op);

    /// <inheritdoc />
    public override IKernels GetVariant(string variant) => variant switch
    {
        "ours" => _kernels,
        "cublas" when _cublas is not null => _cublas,
        "cublas" => throw new ArgumentException(
            $"cuBLAS is not available on {Id}: {(IsEmulator ? "the emulator has no cuBLAS" : Cublas.UnavailableReason)}", nameof(variant)),
        _ => throw new ArgumentException($"{Id} has no kernel variant '{variant}'; it has: ours{(_cublas is null ? string.Empty : ", cublas")}.", nameof(variant)),
    };

    /// <summary>Whether this is the emulator (ILGPU's CPU accelerator) rather than a GPU.</summary>
    public bool IsEmulator { get; }

    /// <summary>Bytes of this device's buffers allocated now.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <inheritdoc />
    public override IReadOnlyList<KeyValuePair<string, string>> Diagnostics =>
    [
        new("accelerator", $"{Accelerator.AcceleratorType} {Accelerator.Name}"),
        new("allocated", string.Create(CultureInfo.InvariantCulture, $"{AllocatedBytes} of {Accelerator.MemorySize} bytes")),
        new("kernels", string.Create(CultureInfo.InvariantCulture, $"{_kernels.Loaded} loaded")),
        new("cublas", _cublas is not null ? "available (variant \"cublas\")" : IsEmulator ? "none on the emulator" : $"unavailable: {Cublas.UnavailableReason}"),
        new("scratch", IsDisposed ? "-" : $"{Scratch.Rentals} rentals, {Scratch.Allocations} allocations, {Scratch.IdleBytes} bytes idle"),
    ];

    internal Accelerator Accelerator { get; }

    internal CudaKernels KernelSet => _kernels;

    /// <inheritdoc />
    protected override bool BindsContext => true;

    /// <inheritdoc />
    protected override nint EnterContextCore()
    {
        // CUDA's current context is per thread: bind this accelerator, remembering the previous binding to restore.
        (t_bindings ??= new Stack<ScopedAcceleratorBinding>()).Push(Accelerator.BindScoped());
        return 0;
    }

    /// <inheritdoc />
    protected override void ExitContextCore(nint token)
    {
        if (t_bindings is { Count: > 0 } stack)
        {
            stack.Pop().Dispose();
        }
    }

    /// <inheritdoc />
    protected override DeviceBuffer AllocateBufferCore(DType dtype, long length)
    {
        long bytes = Math.Max(length * dtype.SizeInBytes(), 4);
        long after = Interlocked.Add(ref _allocatedBytes, bytes);
        if (after > Accelerator.MemorySize)
        {
            Interlocked.Add(ref _allocatedBytes, -bytes);
            throw new OutOfDeviceMemoryException(Id, bytes, $"{after - bytes} of the device's {Accelerator.MemorySize} bytes are already allocated");
        }

        try
        {
            MemoryBuffer1D<byte, Stride1D.Dense> memory = Accelerator.Allocate1D<byte>(bytes);
            return new CudaBuffer(this, dtype, length, memory, bytes);
        }
        catch (Exception ex) when (ex is OutOfMemoryException or AcceleratorException)
        {
            Interlocked.Add(ref _allocatedBytes, -bytes);
            throw new OutOfDeviceMemoryException(Id, bytes, ex.Message, ex);
        }
        catch
        {
            Interlocked.Add(ref _allocatedBytes, -bytes);
            throw;
        }
    }

    /// <inheritdoc />
    protected override DeviceStream CreateStreamCore() => new CudaStream(this, Accelerator.CreateStream());

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        _cublas?.Dispose();
        Accelerator.Dispose();
    }

    internal void ReturnMemory(long bytes) => Interlocked.Add(ref _allocatedBytes, -bytes);
}
