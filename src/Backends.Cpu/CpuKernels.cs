using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Cpu;

/// <summary>The standard op set on the CPU: each call is validated by <see cref="KernelSet"/>, then queued on the stream's worker.</summary>
internal sealed class CpuKernels : KernelSet
{
    public CpuKernels(CpuDevice device)
        : base(device, "ours")
    {
    }

    protected override void GemmCore(DeviceStream stream, GemmArgs a)
    {
        nint pa = P(a.A), pb = P(a.B), pc = P(a.C);
        int inSize = a.A.DType.SizeInBytes(), cSize = a.C.DType.SizeInBytes();
        Queue(stream, () =>
        {
            var problems = new GemmProblem[a.Batch];
            for (int i = 0; i < a.Batch; i++)
            {
                problems[i] = new GemmProblem(
                    pa + (nint)(i * a.BatchStrideA * inSize),
                    pb + (nint)(i * a.BatchStrideB * inSize),
                    pc + (nint)((long)i * a.M * a.N * cSize),
                    a.M, a.N, a.K, a.TransA, a.TransB, a.A.DType, a.C.DType, a.Alpha, a.Beta);
            }

            CpuGemm.Run(problems);
        }, a.A, a.B, a.C);
    }

    protected override void GroupedGemmCore(DeviceStream stream, GroupedGemmArgs a)
    {
        nint pa = P(a.A), pw = P(a.Weights), po = P(a.ExpertOffsets), pc = P(a.C);
        Queue(stream, () => CpuMoe.GroupedGemm(a, pa, pw, po, pc), a.A, a.Weights, a.ExpertOffsets, a.C);
    }

    protected override void SoftmaxCore(DeviceStream stream, SoftmaxArgs a)
    {
        nint x = P(a.X), y = P(a.Y);
        Queue(stream, () => CpuRowOps.Softmax(a, x, y), a.X, a.Y);
    }

    protected override void RmsNormCore(DeviceStream stream, RmsNormArgs a)
    {
        nint x = P(a.X), g = P(a.Gamma), y = P(a.Y);
        Queue(stream, () => CpuRowOps.RmsNorm(a, x, g, y), a.X, a.Gamma, a.Y);
    }

    protected override void SiluCore(DeviceStream stream, UnaryArgs a)
    {
        nint x = P(a.X), y = P(a.Y);
        Queue(stream, () => CpuElementwise.Silu(a.X.DType, x, y, a.Count), a.X, a.Y);
    }

    protected override void SwiGluCore(DeviceStream stream, SwiGluArgs a)
    {
        nint g = P(a.Gate), u = P(a.Up), y = P(a.Y);
        Queue(stream, () => CpuElementwise.SwiGlu(a.Gate.DType, g, u, y, a.Count), a.Gate, a.Up, a.Y);
    }

    protected override void AddCore(DeviceStream stream, BinaryArgs a)
    {
        nint pa = P(a.A), pb = P(a.B), y = P(a.Y);
        Queue(stream, () => CpuElementwise.Add(a.A.DType, pa, pb, a.BCount, y, a.Count), a.A, a.B, a.Y);
    }

    protected override void MulCore(DeviceStream stream, BinaryArgs a)
    {
        nint pa = P(a.A), pb = P(a.B), y = P(a.Y);
        Queue(stream, () => CpuElementwise.Mul(a.A.DType, pa, pb, a.BCount, y, a.Count), a.A, a.B, a.Y);
    }

    protected override void RopeCore(DeviceStream stream, RopeArgs a)
    {
        nint x = P(a.X), pos = P(a.Positions), y = P(a.Y);
        Queue(stream, () => CpuRope.Run(a, x, pos, y), a.X, a.Positions, a.Y);
    }

    protected override void TopKGatingCore(DeviceStream stream, GatingArgs a)
    {
        nint l = P(a.Logits), b = a.Bias is null ? 0 : P(a.Bias), w = P(a.Weights), ids = P(a.Ids);
        TensorView[] views = a.Bias is null ? [a.Logits, a.Weights, a.Ids] : [a.Logits, a.Bias, a.Weights, a.Ids];
        Queue(stream, () => CpuMoe.TopKGating(a, l, b, w, ids), views);
    }

    protected override void MoePermuteCore(DeviceStream stream, PermuteArgs a)
    {
        nint t = P(a.Tokens), ids = P(a.Ids), perm = P(a.Permuted), src = P(a.RowSource), slot = P(a.SlotOf), off = P(a.ExpertOffsets);
        Queue(stream, () => CpuMoe.Permute(a, t, ids, perm, src, slot, off), a.Tokens, a.Ids, a.Permuted, a.RowSource, a.SlotOf, a.ExpertOffsets);
    }

    protected override void MoeUnpermuteCore(DeviceStream stream, UnpermuteArgs a)
    {
        nint eo = P(a.ExpertOutput), slot = P(a.SlotOf), w = P(a.Weights), o = P(a.Output);
        Queue(stream, () => CpuMoe.Unpermute(a, eo, slot, w, o), a.ExpertOutput, a.SlotOf, a.Weights, a.Output);
    }

    protected override void CastCore(DeviceStream stream, CastArgs a)
    {
        nint x = P(a.X), y = P(a.Y);
        Queue(stream, () => CpuElementwise.Cast(a.X.DType, x, a.Y.DType, y, a.Count), a.X, a.Y);
    }

    /// <summary>The address of a view's first element.</summary>
    internal static nint P(TensorView v) => ((CpuBuffer)v.Buffer).Pointer + (nint)v.ByteOffset;

    private static void Queue(DeviceStream stream, Action work, params TensorView[] views) =>
        ((CpuStream)stream).Enqueue(work, views.Select(v => (CpuBuffer)v.Buffer).Distinct().ToArray());
}
