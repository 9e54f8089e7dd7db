using System;
using Backends.Cpu;

namespace Backends.Tests;

/// <summary>
/// Deliberately broken kernels for checking the checker: <see cref="Mutation.Skip"/> writes nothing (outputs stay
/// poisoned); <see cref="Mutation.Perturb"/> runs the real op and then corrupts one element of its first output.
/// The conformance check must reject both for every op, or the suite could not fail.
/// </summary>
internal sealed class MutantKernels : KernelSet
{
    private readonly CpuDevice _device;
    private readonly Mutation _mutation;

    public MutantKernels(CpuDevice device, Mutation mutation)
        : base(device, "mutant-" + mutation)
    {
        _device = device;
        _mutation = mutation;
    }

    public enum Mutation
    {
        Skip,
        Perturb,
    }

    private IKernels Real => _device.Kernels;

    protected override void GemmCore(DeviceStream s, GemmArgs a) => Do(s, a.C, () => Real.Gemm(s, a.A, a.B, a.C, new GemmOptions { TransA = a.TransA, TransB = a.TransB, Alpha = a.Alpha, Beta = a.Beta }));

    protected override void GroupedGemmCore(DeviceStream s, GroupedGemmArgs a) => Do(s, a.C, () => Real.GroupedGemm(s, a.A, a.Weights, a.ExpertOffsets, a.C, new GroupedGemmOptions { TransB = a.TransB }));

    protected override void SoftmaxCore(DeviceStream s, SoftmaxArgs a) => Do(s, a.Y, () => Real.Softmax(s, a.X, a.Y, new SoftmaxOptions { Scale = a.Scale, Causal = a.Causal }));

    protected override void RmsNormCore(DeviceStream s, RmsNormArgs a) => Do(s, a.Y, () => Real.RmsNorm(s, a.X, a.Gamma, a.Y, a.Eps));

    protected override void SiluCore(DeviceStream s, UnaryArgs a) => Do(s, a.Y, () => Real.Silu(s, a.X, a.Y));

    protected override void SwiGluCore(DeviceStream s, SwiGluArgs a) => Do(s, a.Y, () => Real.SwiGlu(s, a.Gate, a.Up, a.Y));

    protected override void AddCore(DeviceStream s, BinaryArgs a) => Do(s, a.Y, () => Real.Add(s, a.A, a.B, a.Y));

    protected override void MulCore(DeviceStream s, BinaryArgs a) => Do(s, a.Y, () => Real.Mul(s, a.A, a.B, a.Y));

    protected override void RopeCore(DeviceStream s, RopeArgs a) => Do(s, a.Y, () => Real.Rope(s, a.X, a.Positions, a.Y, new RopeOptions { Theta = a.Theta, Layout = a.Layout, RotaryDims = a.RotaryDims }));

    protected override void TopKGatingCore(DeviceStream s, GatingArgs a) => Do(s, a.Weights, () => Real.TopKGating(s, a.Logits, a.Bias, a.Weights, a.Ids, a.Options));

    protected override void MoePermuteCore(DeviceStream s, PermuteArgs a) => Do(s, a.Permuted, () => Real.MoePermute(s, a.Tokens, a.Ids, a.Permuted, a.RowSource, a.SlotOf, a.ExpertOffsets));

    protected override void MoeUnpermuteCore(DeviceStream s, UnpermuteArgs a) => Do(s, a.Output, () => Real.MoeUnpermute(s, a.ExpertOutput, a.SlotOf, a.Weights, a.Output));

    protected override void CastCore(DeviceStream s, CastArgs a) => Do(s, a.Y, () => Real.Cast(s, a.X, a.Y));

    private void Do(DeviceStream s, TensorView output, Action real)
    {
        if (_mutation == Mutation.Skip)
        {
            return;
        }

        real();
        _device.Launch(s, ctx => Corrupt(ctx, output), output);
    }

    private static void Corrupt(CpuKernelContext ctx, TensorView v)
    {
        int i = (int)(v.ElementCount / 2);
        switch (v.DType)
        {
            case DType.F32:
                Span<float> f = ctx.Span<float>(v);
                f[i] = Changed(f[i]);
                break;
            case DType.F16:
                Span<Half> h = ctx.Span<Half>(v);
                h[i] = (Half)Changed((float)h[i]);
                break;
            case DType.BF16:
                Span<BFloat16> b = ctx.Span<BFloat16>(v);
                b[i] = (BFloat16)Changed((float)b[i]);
                break;
            default:
                ctx.Span<int>(v)[i] += 1;
                break;
        }
    }

    /// <summary>A clearly different value: 50% off for finite values (in every dtype's precision), 0 for ±∞ and NaN.</summary>
    private static float Changed(float v) => float.IsFinite(v) ? v + (0.5f * (MathF.Abs(v) + 1)) : 0f;
}
