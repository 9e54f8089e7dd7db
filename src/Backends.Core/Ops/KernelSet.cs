using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace Backends;

/// <summary>
/// Base of every backend's op set. The public methods bind the device's context, validate everything and throw before
/// anything is queued, ask <see cref="Supports(OpArgs)"/> about the resolved call, then call the backend's
/// <c>...Core</c> method. Calls whose output is empty return after validation without queuing anything.
/// </summary>
/// <remarks>
/// Every <c>...Core</c> method is virtual and answers "unsupported" by default, so a backend overrides only the ops it
/// implements; <see cref="Supports(OpKind, DType)"/> then claims exactly those (any dtype the contract allows, unless
/// overridden). A backend refines per call with <see cref="WhyUnsupported"/> and declares which ops take row-strided
/// views with <see cref="AcceptsRowStrides"/>. A wrapper variant (a vendor library for some calls) hands a call it
/// does not take to another op set with <see cref="Forward"/>, without validating it again. Backends usually derive
/// from <see cref="KernelSet{TDevice, TStream, TBuffer}"/>, which hands them their own stream and buffer types.
/// </remarks>
public abstract partial class KernelSet : IKernels
{
    private static readonly Dictionary<Type, HashSet<OpKind>> ImplementedByType = [];
    private readonly HashSet<OpKind> _implemented;

    /// <summary>Creates the op set.</summary>
    /// <param name="device">The device the kernels run on.</param>
    /// <param name="variant">The variant name ("ours").</param>
    protected KernelSet(Device device, string variant)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrEmpty(variant);
        Device = device;
        Variant = variant;
        _implemented = Implemented(GetType());
    }

    /// <inheritdoc />
    public Device Device { get; }

    /// <inheritdoc />
    public string Variant { get; }

    /// <inheritdoc />
    public virtual bool Supports(OpKind op, DType dtype) => _implemented.Contains(op) && OpContracts.DataTypes(op).Contains(dtype);

    /// <inheritdoc />
    public bool Supports(OpArgs args) => WhyUnsupported(args) is null;

    /// <inheritdoc />
    public void Gemm(DeviceStream stream, TensorView a, TensorView b, TensorView c, GemmOptions? options = null)
    {
        using StreamUseScope scope = Enter(stream);
        GemmArgs args = ValidateGemm(stream, a, b, c, options ?? GemmOptions.Default);
        RequireSupportedCall(args);
        if ((long)args.Batch * args.M * args.N > 0)
        {
            GemmCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void GroupedGemm(DeviceStream stream, TensorView a, TensorView weights, TensorView expertOffsets, TensorView c, GroupedGemmOptions? options = null)
    {
        using StreamUseScope scope = Enter(stream);
        GroupedGemmArgs args = ValidateGroupedGemm(stream, a, weights, expertOffsets, c, options ?? GroupedGemmOptions.Default);
        RequireSupportedCall(args);
        if ((long)args.Rows * args.N > 0)
        {
            GroupedGemmCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Softmax(DeviceStream stream, TensorView x, TensorView y, SoftmaxOptions? options = null)
    {
        using StreamUseScope scope = Enter(stream);
        SoftmaxArgs args = ValidateSoftmax(stream, x, y, options ?? SoftmaxOptions.Default);
        RequireSupportedCall(args);
        if (args.Rows * args.Cols > 0)
        {
            SoftmaxCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void RmsNorm(DeviceStream stream, TensorView x, TensorView gamma, TensorView y, float eps = 1e-6f)
    {
        using StreamUseScope scope = Enter(stream);
        RmsNormArgs args = ValidateRmsNorm(stream, x, gamma, y, eps);
        RequireSupportedCall(args);
        if (args.Rows * args.Cols > 0)
        {
            RmsNormCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Silu(DeviceStream stream, TensorView x, TensorView y)
    {
        using StreamUseScope scope = Enter(stream);
        UnaryArgs args = ValidateUnary(stream, x, y);
        RequireSupportedCall(args);
        if (args.Count > 0)
        {
            SiluCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void SwiGlu(DeviceStream stream, TensorView gate, TensorView up, TensorView y)
    {
        using StreamUseScope scope = Enter(stream);
        SwiGluArgs args = ValidateSwiGlu(stream, gate, up, y);
        RequireSupportedCall(args);
        if (args.Count > 0)
        {
            SwiGluCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Add(DeviceStream stream, TensorView a, TensorView b, TensorView y)
    {
        using StreamUseScope scope = Enter(stream);
        BinaryArgs args = ValidateBinary(OpKind.Add, stream, a, b, y);
        RequireSupportedCall(args);
        if (args.Count > 0)
        {
            AddCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Mul(DeviceStream stream, TensorView a, TensorView b, TensorView y)
    {
        using StreamUseScope scope = Enter(stream);
        BinaryArgs args = ValidateBinary(OpKind.Mul, stream, a, b, y);
        RequireSupportedCall(args);
        if (args.Count > 0)
        {
            MulCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Rope(DeviceStream stream, TensorView x, TensorView positions, TensorView y, RopeOptions? options = null)
    {
        using StreamUseScope scope = Enter(stream);
        RopeArgs args = ValidateRope(stream, x, positions, y, options ?? RopeOptions.Default);
        RequireSupportedCall(args);
        if ((long)args.Tokens * args.Heads * args.HeadDim > 0)
        {
            RopeCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void TopKGating(DeviceStream stream, TensorView logits, TensorView? bias, TensorView weights, TensorView ids, GatingOptions options)
    {
        using StreamUseScope scope = Enter(stream);
        GatingArgs args = ValidateGating(stream, logits, bias, weights, ids, options);
        RequireSupportedCall(args);
        if (args.Tokens > 0)
        {
            TopKGatingCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void MoePermute(DeviceStream stream, TensorView tokens, TensorView ids, TensorView permuted, TensorView rowSource, TensorView slotOf, TensorView expertOffsets)
    {
        using StreamUseScope scope = Enter(stream);
        PermuteArgs args = ValidatePermute(stream, tokens, ids, permuted, rowSource, slotOf, expertOffsets);
        RequireSupportedCall(args);
        MoePermuteCore(stream, args); // always runs: expertOffsets is written even for T = 0
    }

    /// <inheritdoc />
    public void MoeUnpermute(DeviceStream stream, TensorView expertOutput, TensorView slotOf, TensorView weights, TensorView output)
    {
        using StreamUseScope scope = Enter(stream);
        UnpermuteArgs args = ValidateUnpermute(stream, expertOutput, slotOf, weights, output);
        RequireSupportedCall(args);
        if ((long)args.T * args.H > 0)
        {
            MoeUnpermuteCore(stream, args);
        }
    }

    /// <inheritdoc />
    public void Cast(DeviceStream stream, TensorView x, TensorView y)
    {
        using StreamUseScope scope = Enter(stream);
        CastArgs args = ValidateCast(stream, x, y);
        RequireSupportedCall(args);
        if (args.Count > 0)
        {
            CastCore(stream, args);
        }
    }

    /// <summary>Queues a validated <see cref="Gemm"/> with a non-empty output. Not overridden: unsupported.</summary>
    /// <param name="stream">The stream (same device).</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void GemmCore(DeviceStream stream, GemmArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="GroupedGemm"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void GroupedGemmCore(DeviceStream stream, GroupedGemmArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="Softmax"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void SoftmaxCore(DeviceStream stream, SoftmaxArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="RmsNorm"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void RmsNormCore(DeviceStream stream, RmsNormArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="Silu"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void SiluCore(DeviceStream stream, UnaryArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="SwiGlu"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void SwiGluCore(DeviceStream stream, SwiGluArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="Add"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void AddCore(DeviceStream stream, BinaryArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="Mul"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void MulCore(DeviceStream stream, BinaryArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="Rope"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void RopeCore(DeviceStream stream, RopeArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="TopKGating"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void TopKGatingCore(DeviceStream stream, GatingArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="MoePermute"/> (also for T = 0: offsets are still written).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void MoePermuteCore(DeviceStream stream, PermuteArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="MoeUnpermute"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void MoeUnpermuteCore(DeviceStream stream, UnpermuteArgs args) => throw Unsupported(args);

    /// <summary>Queues a validated <see cref="Cast"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="args">The resolved args.</param>
    protected virtual void CastCore(DeviceStream stream, CastArgs args) => throw Unsupported(args);

    /// <summary>
    /// Why this op set does not take one resolved call, or null when it does. The default refuses ops or dtypes that
    /// <see cref="Supports(OpKind, DType)"/> does not claim, and row-strided views unless <see cref="AcceptsRowStrides"/>
    /// says so for the op (and the op's contract allows a stride for that argument). Override it for per-call limits
    /// (a library's dtype pairs, sizes), calling the base first.
    /// </summary>
    /// <param name="args">The validated args.</param>
    /// <returns>The reason, for <see cref="UnsupportedOpException"/>; null when supported.</returns>
    protected virtual string? WhyUnsupported(OpArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!Supports(args.Op, args.DType))
        {
            return $"the {Variant} kernels do not implement {args.Op} for {args.DType.ToShortName()}";
        }

        foreach (OpOperand o in args.Operands)
        {
            if (!o.View.IsContiguous)
            {
                if (!o.MayBeStrided)
                {
                    return $"{args.Op} takes {o.Name} contiguous only, but it has row stride {o.View.RowStride}";
                }

                if (!AcceptsRowStrides(args.Op))
                {
                    return $"the {Variant} kernels take row-strided views for {args.Op} only when contiguous ({o.Name} has row stride {o.View.RowStride})";
                }
            }
        }

        return null;
    }

    /// <summary>Whether this op set takes row-strided views for <paramref name="op"/> (where its contract allows them). Default: no.</summary>
    /// <param name="op">The op.</param>
    /// <returns>Whether strided calls are implemented.</returns>
    protected virtual bool AcceptsRowStrides(OpKind op) => false;

    /// <summary>The exception a <c>...Core</c> method throws for a call it does not take.</summary>
    /// <param name="args">The args.</param>
    /// <param name="detail">Why; by default what <see cref="WhyUnsupported"/> says, or that the op is not implemented.</param>
    /// <returns>The exception.</returns>
    protected UnsupportedOpException Unsupported(OpArgs args, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        return new UnsupportedOpException(Device.Id, args.Op, args.DType, detail ?? WhyUnsupported(args) ?? $"the {Variant} kernels do not implement it");
    }

    /// <summary>
    /// Queues an already validated call on another op set of the same device (a wrapper variant's fallback, a test
    /// mutant's real kernels), without validating it again. The target's <see cref="Supports(OpArgs)"/> still decides.
    /// </summary>
    /// <param name="target">The op set that runs the args.</param>
    /// <param name="stream">The stream (of the target's device).</param>
    /// <param name="args">The args, as validated by this op set.</param>
    /// <exception cref="UnsupportedOpException">The target does not take the args.</exception>
    /// <exception cref="DeviceMismatchException">The target runs on another device.</exception>
    protected static void Forward(KernelSet target, DeviceStream stream, OpArgs args)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(args);
        if (!ReferenceEquals(target.Device, stream.Device))
        {
            throw new DeviceMismatchException(nameof(target), stream.Device.Id, target.Device.Id);
        }

        if (target.WhyUnsupported(args) is { } why)
        {
            throw new UnsupportedOpException(target.Device.Id, args.Op, args.DType, why);
        }

        target.Dispatch(stream, args);
    }

    private static HashSet<OpKind> Implemented(Type type)
    {
        lock (ImplementedByType)
        {
            if (ImplementedByType.TryGetValue(type, out HashSet<OpKind>? known))
            {
                return known;
            }

            var set = new HashSet<OpKind>();
            const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
            foreach (OpKind op in OpContracts.AllOps)
            {
                foreach (MethodInfo m in type.GetMethods(flags).Where(m => m.Name == op + "Core"))
                {
                    Type declaring = m.DeclaringType!;
                    bool baseClass = declaring == typeof(KernelSet) ||
                                     (declaring.IsGenericType && declaring.GetGenericTypeDefinition() == typeof(KernelSet<,,>));
                    if (!baseClass)
                    {
                        set.Add(op);
                    }
                }
            }

            ImplementedByType[type] = set;
            return set;
        }
    }

    private StreamUseScope Enter(DeviceStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ObjectDisposedException.ThrowIf(Device.IsDisposed, Device);
        if (!ReferenceEquals(stream.Device, Device))
        {
            throw new DeviceMismatchException(nameof(stream), Device.Id, stream.Device.Id);
        }

        return stream.EnterUse();
    }

    private void RequireSupportedCall(OpArgs args)
    {
        if (WhyUnsupported(args) is { } why)
        {
            throw new UnsupportedOpException(Device.Id, args.Op, args.DType, why);
        }
    }

    private void Dispatch(DeviceStream stream, OpArgs args)
    {
        switch (args)
        {
            case GemmArgs a: GemmCore(stream, a); break;
            case GroupedGemmArgs a: GroupedGemmCore(stream, a); break;
            case SoftmaxArgs a: SoftmaxCore(stream, a); break;
            case RmsNormArgs a: RmsNormCore(stream, a); break;
            case UnaryArgs a: SiluCore(stream, a); break;
            case SwiGluArgs a: SwiGluCore(stream, a); break;
            case BinaryArgs { Op: OpKind.Add } a: AddCore(stream, a); break;
            case BinaryArgs a: MulCore(stream, a); break;
            case RopeArgs a: RopeCore(stream, a); break;
            case GatingArgs a: TopKGatingCore(stream, a); break;
            case PermuteArgs a: MoePermuteCore(stream, a); break;
            case UnpermuteArgs a: MoeUnpermuteCore(stream, a); break;
            case CastArgs a: CastCore(stream, a); break;
            default: throw new ArgumentException($"Unknown args type {args.GetType().Name}.", nameof(args));
        }
    }
}
