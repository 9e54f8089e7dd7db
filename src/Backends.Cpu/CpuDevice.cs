using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Cpu;

/// <summary>
/// The managed CPU device: host memory, one worker thread per stream, SIMD kernels over all cores. Custom kernels
/// run as delegates on a stream through <see cref="Launch"/>.
/// </summary>
public sealed class CpuDevice : Device, IPeakProbe
{
    private readonly CpuKernels _kernels;

    internal CpuDevice(DeviceInfo info)
        : base(info) => _kernels = new CpuKernels(this);

    /// <inheritdoc />
    public override IKernels Kernels => _kernels;

    /// <inheritdoc />
    public override IReadOnlyList<KeyValuePair<string, string>> Diagnostics =>
    [
        new("streams", "one worker thread per stream; kernels fan out over every core"),
        new("workers", $"{Environment.ProcessorCount - 1} helper thread(s); they spin {CpuParallel.SpinMicroseconds} µs after a job before blocking (BACKENDS_CPU_SPIN_US)"),
        new("simd", $"{CpuBackend.SimdWidthBits}-bit vectors"),
        new("memory", CpuMemory.Status),
        new("scratch", IsDisposed ? "-" : $"{Scratch.Rentals} rentals, {Scratch.Allocations} allocations, {Scratch.IdleBytes} bytes idle"),
    ];

    /// <summary>
    /// Queues a custom kernel: <paramref name="body"/> runs on the stream's worker, in order with the stream's other work,
    /// and reaches the memory of <paramref name="views"/> through the <see cref="CpuKernelContext"/> it receives.
    /// </summary>
    /// <param name="stream">A stream of this device.</param>
    /// <param name="body">The kernel; exceptions it throws fault the stream.</param>
    /// <param name="views">Every view the kernel touches; they stay alive until it has run.</param>
    /// <exception cref="DeviceMismatchException">The stream or a view belongs to another device.</exception>
    public void Launch(DeviceStream stream, Action<CpuKernelContext> body, params TensorView[] views)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(views);
        if (!ReferenceEquals(stream.Device, this))
        {
            throw new DeviceMismatchException(nameof(stream), Id, stream.Device.Id);
        }

        using StreamUseScope use = stream.EnterUse(); // one thread at a time on the stream, as every stream call
        foreach (TensorView v in views)
        {
            stream.CheckView(v, nameof(views));
        }

        var context = new CpuKernelContext(views);
        ((CpuStream)stream).Enqueue(() => body(context), views.Select(v => (CpuBuffer)v.Buffer).Distinct().ToArray());
    }

    /// <inheritdoc />
    public int ScratchElements => Environment.ProcessorCount;

    /// <inheritdoc />
    public double Bf16MatmulPeakFactor => CpuBf16Dot.Enabled ? 2 : 1;

    /// <inheritdoc />
    public double QueueFmaBurst(DeviceStream stream, TensorView scratch, int iterations)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        if (scratch.DType != DType.F32 || scratch.ElementCount < ScratchElements)
        {
            throw new ArgumentException($"The scratch must be f32 with at least {ScratchElements} elements.", nameof(scratch));
        }

        double flops = (double)Environment.ProcessorCount * iterations * 12 * CpuPeak.Lanes * 2;
        Launch(stream, ctx => CpuPeak.Run(ctx.Span<float>(scratch), iterations), scratch);
        return flops;
    }

    /// <inheritdoc />
    protected override DeviceBuffer AllocateBufferCore(DType dtype, long length) => new CpuBuffer(this, dtype, length);

    /// <inheritdoc />
    protected override DeviceStream CreateStreamCore() => new CpuStream(this);
}
