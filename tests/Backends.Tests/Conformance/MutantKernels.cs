using System;
using Backends.Cpu;

namespace Backends.Tests;

/// <summary>
/// Deliberately broken kernels for checking the checker: <see cref="Mutation.Skip"/> writes nothing (outputs stay
/// poisoned); <see cref="Mutation.Perturb"/> runs the real op and then corrupts one element of its first output;
/// <see cref="Mutation.Spill"/> runs the real op and then writes one element into the gap after a strided output's first row;
/// <see cref="Mutation.Twice"/> runs the real op twice, right when the output is apart from the inputs and wrong when it
/// is one of them (a kernel that reads an input after writing its output).
/// The conformance check must reject each for every op, or the suite could not fail.
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
        Spill,
        Twice,
    }

    private KernelSet Real => (KernelSet)_device.Kernels;

    // The mutant claims exactly what the real kernels claim, call by call.
    protected override string? WhyUnsupported(OpArgs args) => Real.Supports(args) ? null : "the real kernels do not take this call";

    protected override void GemmCore(DeviceStream s, GemmArgs a) => Do(s, a.C, a);

    protected override void GroupedGemmCore(DeviceStream s, GroupedGemmArgs a) => Do(s, a.C, a);

    protected override void SoftmaxCore(DeviceStream s, SoftmaxArgs a) => Do(s, a.Y, a);

    protected override void RmsNormCore(DeviceStream s, RmsNormArgs a) => Do(s, a.Y, a);

    protected override void SiluCore(DeviceStream s, UnaryArgs a) => Do(s, a.Y, a);

    protected override void SwiGluCore(DeviceStream s, SwiGluArgs a) => Do(s, a.Y, a);

    protected override void AddCore(DeviceStream s, BinaryArgs a) => Do(s, a.Y, a);

    protected override void MulCore(DeviceStream s, BinaryArgs a) => Do(s, a.Y, a);

    protected override void RopeCore(DeviceStream s, RopeArgs a) => Do(s, a.Y, a);

    protected override void TopKGatingCore(DeviceStream s, GatingArgs a) => Do(s, a.Weights, a);

    protected override void MoePermuteCore(DeviceStream s, PermuteArgs a) => Do(s, a.Permuted, a);

    protected override void MoeUnpermuteCore(DeviceStream s, UnpermuteArgs a) => Do(s, a.Output, a);

    protected override void CastCore(DeviceStream s, CastArgs a) => Do(s, a.Y, a);

    /// <summary>Skip: nothing. Perturb: the real op (handed over without validating again), then one element changed.</summary>
    private void Do(DeviceStream s, TensorView output, OpArgs args)
    {
        if (_mutation == Mutation.Skip)
        {
            return;
        }

        Forward(Real, s, args);
        if (_mutation == Mutation.Twice)
        {
            Forward(Real, s, args);
            return;
        }

        if (_mutation == Mutation.Spill)
        {
            // One element written just past the first row of a strided output: into the gap the view must not touch.
            TensorView whole = output.Buffer.View();
            long at = output.Offset + output.RowLength;
            _device.Launch(s, ctx => Spill(ctx, whole, at), whole);
            return;
        }

        _device.Launch(s, ctx => Corrupt(ctx, output), output);
    }

    private static void Spill(CpuKernelContext ctx, TensorView whole, long at)
    {
        switch (whole.DType)
        {
            case DType.F32: ctx.Span<float>(whole)[(int)at] = 42f; break;
            case DType.F16: ctx.Span<Half>(whole)[(int)at] = (Half)42f; break;
            case DType.BF16: ctx.Span<BFloat16>(whole)[(int)at] = (BFloat16)42f; break;
            default: ctx.Span<int>(whole)[(int)at] = 42; break;
        }
    }

    private static void Corrupt(CpuKernelContext ctx, TensorView v)
    {
        long row = v.RowCount / 2;
        int i = (int)(v.RowLength / 2);
        switch (v.DType)
        {
            case DType.F32:
                Span<float> f = ctx.Row<float>(v, row);
                f[i] = Changed(f[i]);
                break;
            case DType.F16:
                Span<Half> h = ctx.Row<Half>(v, row);
                h[i] = (Half)Changed((float)h[i]);
                break;
            case DType.BF16:
                Span<BFloat16> b = ctx.Row<BFloat16>(v, row);
                b[i] = (BFloat16)Changed((float)b[i]);
                break;
            default:
                ctx.Row<int>(v, row)[i] += 1;
                break;
        }
    }

    /// <summary>A clearly different value: 50% off for finite values (in every dtype's precision), 0 for ±∞ and NaN.</summary>
    private static float Changed(float v) => float.IsFinite(v) ? v + (0.5f * (MathF.Abs(v) + 1)) : 0f;
}
