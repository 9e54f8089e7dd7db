namespace Backends;

/// <summary>
/// A device that can saturate its floating-point units: the compute roof of a roofline. Implemented by devices that
/// have such a kernel (the CPU, OpenCL); the memory roof needs nothing special (a large device copy).
/// </summary>
public interface IPeakProbe
{
    /// <summary>
    /// Queues an FMA-bound kernel: independent chains of F32 fused multiply-adds over the device's full width, with
    /// results written to <paramref name="scratch"/> so nothing can be optimised away.
    /// </summary>
    /// <param name="stream">A stream of the device.</param>
    /// <param name="scratch">F32 scratch of at least <see cref="ScratchElements"/> elements.</param>
    /// <param name="iterations">Loop trips per lane; work grows linearly with it.</param>
    /// <returns>The floating-point operations the launch performs (an FMA counts as 2).</returns>
    double QueueFmaBurst(DeviceStream stream, TensorView scratch, int iterations);

    /// <summary>F32 elements the scratch view must have.</summary>
    int ScratchElements { get; }

    /// <summary>
    /// The compute roof of the device's BF16 matrix products (GEMM, grouped GEMM) as a multiple of the F32 FMA peak:
    /// 2 where they multiply BF16 pairs (two multiply-adds per F32 lane and instruction, as the CPU's VDPBF16PS
    /// kernels do), 1 (the default) where BF16 is widened and multiplied as F32.
    /// </summary>
    double Bf16MatmulPeakFactor => 1;
}
