using System;
using System.Linq;
using Operand = Backends.Cpu.CpuElementwise.Operand;

namespace Backends.Cpu;

/// <summary>The standard op set on the CPU: each call is validated by <see cref="KernelSet"/>, then queued on the stream's worker.</summary>
internal sealed class CpuKernels : KernelSet<CpuDevice, CpuStream, CpuBuffer>
{
    public CpuKernels(CpuDevice device)
        : base(device, "ours")
    {
    }

    protected override bool AcceptsRowStrides(OpKind op) => op is OpKind.Gemm or OpKind.GroupedGemm or OpKind.Softmax or OpKind.RmsNorm
        or OpKind.Rope or OpKind.Silu or OpKind.SwiGlu or OpKind.Add or OpKind.Mul or OpKind.Cast;

    protected override void GemmCore(CpuStream stream, GemmArgs a)
    {
        nint pa = P(a.A), pb = P(a.B), pc = P(a.C);
        int inSize = a.A.DType.SizeInBytes(), cSize = a.C.DType.SizeInBytes();
        long ldb = a.LdB, lda = a.LdA, ldc = a.LdC, strideC = a.BatchStrideC;
        Queue(stream, () =>
        {
            var problems = new GemmProblem[a.Batch];
            for (int i = 0; i < a.Batch; i++)
            {
                problems[i] = new GemmProblem(
                    pa + (nint)(i * a.BatchStrideA * inSize),
                    pb + (nint)(i * a.BatchStrideB * inSize),
                    pc + (nint)(i * strideC * cSize),
                    a.M, a.N, a.K, a.TransA, a.TransB, a.A.DType, a.C.DType, a.Alpha, a.Beta, lda, ldb, ldc);
            }

            CpuGemm.Run(problems);
        }, a.A, a.B, a.C);
    }

    protected override void GroupedGemmCore(CpuStream stream, GroupedGemmArgs a)
    {
        nint pa = P(a.A), pw = P(a.Weights), po = P(a.ExpertOffsets), pc = P(a.C);
        Queue(stream, () => CpuMoe.GroupedGemm(a, pa, pw, po, pc), a.A, a.Weights, a.ExpertOffsets, a.C);
    }

    protected override void SoftmaxCore(CpuStream stream, SoftmaxArgs a)
    {
        nint x = P(a.X), y = P(a.Y);
        Queue(stream, () => CpuRowOps.Softmax(a, x, y), a.X, a.Y);
    }

    protected override void RmsNormCore(CpuStream stream, RmsNormArgs a)
    {
        nint x = P(a.X), g = P(a.Gamma), y = P(a.Y);
        Queue(stream, () => CpuRowOps.RmsNorm(a, x, g, y), a.X, a.Gamma, a.Y);
    }

    protected override void SiluCore(CpuStream stream, UnaryArgs a)
    {
        Operand x = Op(a.X), y = Op(a.Y);
        bool streamOut = CpuRowOps.StreamsOutput(a.Y, a.X);
        Queue(stream, () => CpuElementwise.Silu(a.X.DType, x, y, a.Count, streamOut), a.X, a.Y);
    }

    protected override void SwiGluCore(CpuStream stream, SwiGluArgs a)
    {
        Operand g = Op(a.Gate), u = Op(a.Up), y = Op(a.Y);
        bool streamOut = CpuRowOps.StreamsOutput(a.Y, a.Gate, a.Up);
        Queue(stream, () => CpuElementwise.SwiGlu(a.Gate.DType, g, u, y, a.Count, streamOut), a.Gate, a.Up, a.Y);
    }

    protected override void AddCore(CpuStream stream, BinaryArgs a)
    {
        Operand pa = Op(a.A), pb = Op(a.B), y = Op(a.Y);
        bool streamOut = CpuRowOps.StreamsOutput(a.Y, a.A, a.B);
        Queue(stream, () => CpuElementwise.Add(a.A.DType, pa, pb, a.BCount, y, a.Count, streamOut), a.A, a.B, a.Y);
    }

    protected override void MulCore(CpuStream stream, BinaryArgs a)
    {
        Operand pa = Op(a.A), pb = Op(a.B), y = Op(a.Y);
        bool streamOut = CpuRowOps.StreamsOutput(a.Y, a.A, a.B);
        Queue(stream, () => CpuElementwise.Mul(a.A.DType, pa, pb, a.BCount, y, a.Count, streamOut), a.A, a.B, a.Y);
    }

    protected override void RopeCore(CpuStream stream, RopeArgs a)
    {
        nint x = P(a.X), pos = P(a.Positions), y = P(a.Y);
        Queue(stream, () => CpuRope.Run(a, x, pos, y), a.X, a.Positions, a.Y);
    }

    protected override void TopKGatingCore(CpuStream stream, GatingArgs a)
    {
        nint l = P(a.Logits), b = a.Bias is null ? 0 : P(a.Bias), w = P(a.Weights), ids = P(a.Ids);
        TensorView[] views = a.Bias is null ? [a.Logits, a.Weights, a.Ids] : [a.Logits, a.Bias, a.Weights, a.Ids];
        Queue(stream, () => CpuMoe.TopKGating(a, l, b, w, ids), views);
    }

    protected override void MoePermuteCore(CpuStream stream, PermuteArgs a)
    {
        nint t = P(a.Tokens), ids = P(a.Ids), perm = P(a.Permuted), src = P(a.RowSource), slot = P(a.SlotOf), off = P(a.ExpertOffsets);
        Queue(stream, () => CpuMoe.Permute(a, t, ids, perm, src, slot, off), a.Tokens, a.Ids, a.Permuted, a.RowSource, a.SlotOf, a.ExpertOffsets);
    }

    protected override void MoeUnpermuteCore(CpuStream stream, UnpermuteArgs a)
    {
        nint eo = P(a.ExpertOutput), slot = P(a.SlotOf), w = P(a.Weights), o = P(a.Output);
        Queue(stream, () => CpuMoe.Unpermute(a, eo, slot, w, o), a.ExpertOutput, a.SlotOf, a.Weights, a.Output);
    }

    protected override void CastCore(CpuStream stream, CastArgs a)
    {
        Operand x = Op(a.X), y = Op(a.Y);
        // A large F16/BF16 output of an F32 input, sharing no element with it, goes out with non-temporal stores.
        bool streamOut = a.X.DType == DType.F32 && a.Y.DType != DType.F32 && CpuRowOps.IsLargeOwnOutput(a.Y, a.X);
        Queue(stream, () => CpuElementwise.Cast(a.X.DType, x, a.Y.DType, y, a.Count, streamOut), a.X, a.Y);
    }

    /// <summary>The address of a view's first element.</summary>
    internal static nint P(TensorView v) => Buffer(v).Pointer + (nint)v.ByteOffset;

    private static Operand Op(TensorView v) => Operand.Of(v, P(v));

    private static void Queue(CpuStream stream, Action work, params TensorView[] views) =>
        stream.Enqueue(work, views.Select(v => Buffer(v)).Distinct().ToArray());
}
