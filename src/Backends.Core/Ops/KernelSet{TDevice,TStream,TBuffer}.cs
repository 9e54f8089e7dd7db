using System;

namespace Backends;

/// <summary>
/// The typed base of a backend's op set: the same contract as <see cref="KernelSet"/>, but every <c>...Core</c> method
/// receives the backend's own stream type and <see cref="Buffer"/> gives a view's buffer as the backend's own buffer
/// type, so kernels never down-cast by hand. Override the <c>...Core(TStream, ...)</c> overloads of the ops the
/// backend implements; the others answer unsupported.
/// </summary>
/// <typeparam name="TDevice">The backend's device type.</typeparam>
/// <typeparam name="TStream">The backend's stream type.</typeparam>
/// <typeparam name="TBuffer">The backend's buffer type.</typeparam>
public abstract class KernelSet<TDevice, TStream, TBuffer> : KernelSet
    where TDevice : Device
    where TStream : DeviceStream
    where TBuffer : DeviceBuffer
{
    /// <summary>Creates the op set.</summary>
    /// <param name="device">The device.</param>
    /// <param name="variant">The variant name ("ours").</param>
    protected KernelSet(TDevice device, string variant)
        : base(device, variant) => Owner = device;

    /// <summary>The device, as the backend's own type.</summary>
    protected TDevice Owner { get; }

    /// <inheritdoc />
    protected sealed override void GemmCore(DeviceStream stream, GemmArgs args) => GemmCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.Gemm"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void GemmCore(TStream stream, GemmArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void GroupedGemmCore(DeviceStream stream, GroupedGemmArgs args) => GroupedGemmCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.GroupedGemm"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void GroupedGemmCore(TStream stream, GroupedGemmArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void SoftmaxCore(DeviceStream stream, SoftmaxArgs args) => SoftmaxCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.Softmax"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void SoftmaxCore(TStream stream, SoftmaxArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void RmsNormCore(DeviceStream stream, RmsNormArgs args) => RmsNormCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.RmsNorm"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void RmsNormCore(TStream stream, RmsNormArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void SiluCore(DeviceStream stream, UnaryArgs args) => SiluCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.Silu"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void SiluCore(TStream stream, UnaryArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void SwiGluCore(DeviceStream stream, SwiGluArgs args) => SwiGluCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.SwiGlu"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void SwiGluCore(TStream stream, SwiGluArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void AddCore(DeviceStream stream, BinaryArgs args) => AddCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.Add"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void AddCore(TStream stream, BinaryArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void MulCore(DeviceStream stream, BinaryArgs args) => MulCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.Mul"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void MulCore(TStream stream, BinaryArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void RopeCore(DeviceStream stream, RopeArgs args) => RopeCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.Rope"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void RopeCore(TStream stream, RopeArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void TopKGatingCore(DeviceStream stream, GatingArgs args) => TopKGatingCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.TopKGating"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void TopKGatingCore(TStream stream, GatingArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void MoePermuteCore(DeviceStream stream, PermuteArgs args) => MoePermuteCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.MoePermute"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void MoePermuteCore(TStream stream, PermuteArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void MoeUnpermuteCore(DeviceStream stream, UnpermuteArgs args) => MoeUnpermuteCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.MoeUnpermute"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void MoeUnpermuteCore(TStream stream, UnpermuteArgs args) => throw Unsupported(args);

    /// <inheritdoc />
    protected sealed override void CastCore(DeviceStream stream, CastArgs args) => CastCore((TStream)stream, args);

    /// <summary>Queues a validated <see cref="IKernels.Cast"/> on this backend's stream. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (this device's).</param>
    /// <param name="args">The resolved call.</param>
    protected virtual void CastCore(TStream stream, CastArgs args) => throw Unsupported(args);

    /// <summary>The buffer behind a view, as the backend's own type (validation has checked it belongs to this device).</summary>
    /// <param name="view">A validated view.</param>
    /// <returns>The buffer.</returns>
    protected static TBuffer Buffer(TensorView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return (TBuffer)view.Buffer;
    }
}
