using System;
using System.Linq;

namespace Backends;

/// <summary>
/// Base of every backend's op set: the public methods validate everything and throw before anything is queued,
/// then call the backend's <c>...Core</c> method with resolved arguments. Calls whose output is empty return after
/// validation without queuing anything.
/// </summary>
public abstract partial class KernelSet : IKernels
{
    /// <summary>Creates the op set.</summary>
    /// <param name="device">The device the kernels run on.</param>
    /// <param name="variant">The variant name ("ours").</param>
    protected KernelSet(Device device, string variant)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        Variant = variant;
    }

    /// <inheritdoc />
    public Device Device { get; }

    /// <inheritdoc />
    public string Variant { get; }

    /// <inheritdoc />
    public virtual bool Supports(OpKind op, DType dtype) => OpContracts.DataTypes(op).Contains(dtype);

    /// <inheritdoc />
    public void Gemm(DeviceStream stream, TensorView a, TensorView b, TensorView c, GemmOptions? options = null)
    {
        GemmArgs args = ValidateGemm(stream, a, b, c, options ?? GemmOptions.Default);
        if ((long)args.Batch * args.M * args.N > 0)
        {
            GemmCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void GroupedGemm(DeviceStream stream, TensorView a, TensorView weights, TensorView expertOffsets, TensorView c, GroupedGemmOptions? options = null)
    {
        GroupedGemmArgs args = ValidateGroupedGemm(stream, a, weights, expertOffsets, c, options ?? GroupedGemmOptions.Default);
        if ((long)args.Rows * args.N > 0)
        {
            GroupedGemmCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Softmax(DeviceStream stream, TensorView x, TensorView y, SoftmaxOptions? options = null)
    {
        SoftmaxArgs args = ValidateSoftmax(stream, x, y, options ?? SoftmaxOptions.Default);
        if (args.Rows * args.Cols > 0)
        {
            SoftmaxCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void RmsNorm(DeviceStream stream, TensorView x, TensorView gamma, TensorView y, float eps = 1e-6f)
    {
        RmsNormArgs args = ValidateRmsNorm(stream, x, gamma, y, eps);
        if (args.Rows * args.Cols > 0)
        {
            RmsNormCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Silu(DeviceStream stream, TensorView x, TensorView y)
    {
        UnaryArgs args = ValidateUnary(OpKind.Silu, stream, x, y);
        if (args.Count > 0)
        {
            SiluCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void SwiGlu(DeviceStream stream, TensorView gate, TensorView up, TensorView y)
    {
        SwiGluArgs args = ValidateSwiGlu(stream, gate, up, y);
        if (args.Count > 0)
        {
            SwiGluCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Add(DeviceStream stream, TensorView a, TensorView b, TensorView y)
    {
        BinaryArgs args = ValidateBinary(OpKind.Add, stream, a, b, y);
        if (args.Count > 0)
        {
            AddCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Mul(DeviceStream stream, TensorView a, TensorView b, TensorView y)
    {
        BinaryArgs args = ValidateBinary(OpKind.Mul, stream, a, b, y);
        if (args.Count > 0)
        {
            MulCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Rope(DeviceStream stream, TensorView x, TensorView positions, TensorView y, RopeOptions? options = null)
    {
        RopeArgs args = ValidateRope(stream, x, positions, y, options ?? RopeOptions.Default);
        if ((long)args.Tokens * args.Heads * args.HeadDim > 0)
        {
            RopeCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void TopKGating(DeviceStream stream, TensorView logits, TensorView? bias, TensorView weights, TensorView ids, GatingOptions options)
    {
        GatingArgs args = ValidateGating(stream, logits, bias, weights, ids, options);
        if (args.Tokens > 0)
        {
            TopKGatingCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void MoePermute(DeviceStream stream, TensorView tokens, TensorView ids, TensorView permuted, TensorView rowSource, TensorView slotOf, TensorView expertOffsets)
    {
        PermuteArgs args = ValidatePermute(stream, tokens, ids, permuted, rowSource, slotOf, expertOffsets);
        MoePermuteCore(stream, args); // always runs: expertOffsets is written even for T = 0
    }

    /// <inheritdoc />
    public void MoeUnpermute(DeviceStream stream, TensorView expertOutput, TensorView slotOf, TensorView weights, TensorView output)
    {
        UnpermuteArgs args = ValidateUnpermute(stream, expertOutput, slotOf, weights, output);
        if ((long)args.T * args.H > 0)
        {
            MoeUnpermuteCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Cast(DeviceStream stream, TensorView x, TensorView y)
    {
        CastArgs args = ValidateCast(stream, x, y);
        if (args.Count > 0)
        {
            CastCore(stream, args);
        }
    }

    /// <summary>Queues a validated <see cref="Gemm"/> with a non-empty output.</summary>
    /// <param name="stream">The stream (same device).</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void GemmCore(DeviceStream stream, GemmArgs args);

    /// <summary>Queues a validated <see cref="GroupedGemm"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void GroupedGemmCore(DeviceStream stream, GroupedGemmArgs args);

    /// <summary>Queues a validated <see cref="Softmax"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void SoftmaxCore(DeviceStream stream, SoftmaxArgs args);

    /// <summary>Queues a validated <see cref="RmsNorm"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void RmsNormCore(DeviceStream stream, RmsNormArgs args);

    /// <summary>Queues a validated <see cref="Silu"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void SiluCore(DeviceStream stream, UnaryArgs args);

    /// <summary>Queues a validated <see cref="SwiGlu"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void SwiGluCore(DeviceStream stream, SwiGluArgs args);

    /// <summary>Queues a validated <see cref="Add"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void AddCore(DeviceStream stream, BinaryArgs args);

    /// <summary>Queues a validated <see cref="Mul"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void MulCore(DeviceStream stream, BinaryArgs args);

    /// <summary>Queues a validated <see cref="Rope"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void RopeCore(DeviceStream stream, RopeArgs args);

    /// <summary>Queues a validated <see cref="TopKGating"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void TopKGatingCore(DeviceStream stream, GatingArgs args);

    /// <summary>Queues a validated <see cref="MoePermute"/> (also for T = 0: offsets are still written).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void MoePermuteCore(DeviceStream stream, PermuteArgs args);

    /// <summary>Queues a validated <see cref="MoeUnpermute"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void MoeUnpermuteCore(DeviceStream stream, UnpermuteArgs args);

    /// <summary>Queues a validated <see cref="Cast"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved call.</param>
    protected abstract void CastCore(DeviceStream stream, CastArgs args);
}
