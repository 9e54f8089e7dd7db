using System;
using System.Threading;
using Backends.Cuda.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Backends.Cuda;

/// <summary>
/// The standard op set on an ILGPU accelerator. Every op of the set is implemented; GEMM is tiled through shared memory from 32×32×16 on
/// (F32/F16/BF16, row-strided views). Every other op answers unsupported until its kernel lands (docs/cuda.md).
/// </summary>
internal sealed class CudaKernels : KernelSet<CudaDevice, CudaStream, CudaBuffer>
{
    /// <summary>Most threads of one grid-stride launch.</summary>
    private const long MaxThreads = 1 << 20;

    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ElementwiseParams>> _elementwise;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, long, long, int, uint>> _fill;
    private readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<byte>, ArrayView<byte>, SoftmaxParams>> _softmax;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, GemmParams>> _gemm;
    private readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, GemmParams>> _tiled;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<int>, long, int, int>> _bounds;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, GroupedParams>> _grouped;
    private readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, GatingParams>> _gating;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, PermuteParams>> _permuteIndex;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, GatherParams>> _permuteGather;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<byte>, UnpermuteParams>> _unpermute;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<byte>, RopeParams>> _rope;
    private readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, RmsNormParams>> _rmsnorm;
    private int _loaded;

    public CudaKernels(CudaDevice device)
        : base(device, "ours")
    {
        _elementwise = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ElementwiseParams>(ElementwiseKernels.Run)));
        _fill = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, long, long, int, uint>(ElementwiseKernels.Fill)));
        _rope = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<byte>, RopeParams>(RopeKernels.Rope)));
        _permuteIndex = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, PermuteParams>(MoeKernels.PermuteIndex)));
        _permuteGather = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, GatherParams>(MoeKernels.PermuteGather)));
        _unpermute = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<int>, ArrayView<float>, ArrayView<byte>, UnpermuteParams>(MoeKernels.Unpermute)));
        _gating = new(() => Load(() => device.Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, GatingParams>(GatingKernels.TopKGating)));
        _gemm = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, GemmParams>(GemmKernels.Gemm)));
        _tiled = new(() => Load(() => device.Accelerator.LoadKernel<ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, GemmParams>(GemmKernels.Tiled)));
        _bounds = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<int>, long, int, int>(GemmKernels.GroupBounds)));
        _grouped = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<int>, ArrayView<byte>, GroupedParams>(GemmKernels.Grouped)));
        _softmax = new(() => Load(() => device.Accelerator.LoadKernel<ArrayView<byte>, ArrayView<byte>, SoftmaxParams>(RowKernels.Softmax)));
        _rmsnorm = new(() => Load(() => device.Accelerator.LoadKernel<ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, RmsNormParams>(RowKernels.RmsNorm)));
    }

    /// <summary>Kernels compiled and loaded so far.</summary>
    public int Loaded => Volatile.Read(ref _loaded);

    /// <summary>Most groups of one row-op launch (rows beyond are taken by a grid-stride loop).</summary>
    private const int MaxRowGroups = 1 << 16;

    protected override bool AcceptsRowStrides(OpKind op) =>
        op is OpKind.Silu or OpKind.SwiGlu or OpKind.Add or OpKind.Mul or OpKind.Cast or OpKind.Softmax or OpKind.RmsNorm or OpKind.Rope
            or OpKind.Gemm or OpKind.GroupedGemm;

    protected override void GemmCore(CudaStream stream, GemmArgs a)
    {
        long blocks = (long)a.Batch * ((a.M + GemmKernels.Block - 1) / GemmKernels.Block) * ((a.N + GemmKernels.Block - 1) / GemmKernels.Block);
        long threads = Math.Min(blocks, MaxThreads);
        var p = new GemmParams(a.A.Offset, a.B.Offset, a.C.Offset, a.LdA, a.LdB, a.LdC, a.BatchStrideA, a.BatchStrideB, a.BatchStrideC,
            threads, a.Batch, a.M, a.N, a.K, a.TransA ? 1 : 0, a.TransB ? 1 : 0, a.Alpha, a.Beta, Numerics.Code(a.A.DType), Numerics.Code(a.C.DType));
        ArrayView<byte> av = Buffer(a.A).Bytes, bv = Buffer(a.B).Bytes, cv = Buffer(a.C).Bytes;
        if (a.M >= GemmKernels.Tile && a.N >= GemmKernels.Tile && a.K >= GemmKernels.TileK)
        {
            // Shared-memory tiles once every tile dimension is filled; the register-blocked kernel for skinny problems.
            var config = new KernelConfig(
                new Index3D((a.N + GemmKernels.Tile - 1) / GemmKernels.Tile, (a.M + GemmKernels.Tile - 1) / GemmKernels.Tile, a.Batch),
                new Index3D(GemmKernels.TileThreads, GemmKernels.TileThreads, 1));
            stream.Submit(() => _tiled.Value(stream.Stream, config, av, bv, cv, p));
            return;
        }

        stream.Submit(() => _gemm.Value(stream.Stream, new Index1D((int)threads), av, bv, cv, p));
    }

    protected override void GroupedGemmCore(CudaStream stream, GroupedGemmArgs a)
    {
        using ScratchBuffer bounds = Owner.Scratch.Rent(stream, DType.I32, a.Experts + 1);
        ArrayView<int> offsets = Ints(a.ExpertOffsets), b = Ints(bounds.View);
        long offsetsOffset = a.ExpertOffsets.Offset;
        int experts = a.Experts, rows = a.Rows;
        stream.Submit(() => _bounds.Value(stream.Stream, new Index1D(1), offsets, b, offsetsOffset, experts, rows));
        long blocks = (long)a.Rows * ((a.N + GemmKernels.Block - 1) / GemmKernels.Block);
        long threads = Math.Min(blocks, MaxThreads);
        var p = new GroupedParams(a.A.Offset, a.Weights.Offset, a.C.Offset, a.LdA, a.LdC, threads, a.Rows, a.N, a.K, a.Experts, a.TransB ? 1 : 0,
            Numerics.Code(a.A.DType), Numerics.Code(a.C.DType));
        ArrayView<byte> av = Buffer(a.A).Bytes, wv = Buffer(a.Weights).Bytes, cv = Buffer(a.C).Bytes;
        stream.Submit(() => _grouped.Value(stream.Stream, new Index1D((int)threads), av, wv, b, cv, p));
    }

    protected override void MoePermuteCore(CudaStream stream, PermuteArgs a)
    {
        long choices = (long)a.T * a.K;
        using ScratchBuffer next = Owner.Scratch.Rent(stream, DType.I32, Math.Max(a.Experts, 1));
        var ip = new PermuteParams(a.Ids.Offset, a.ExpertOffsets.Offset, a.SlotOf.Offset, a.RowSource.Offset, choices, a.K, a.Experts);
        ArrayView<int> ids = Ints(a.Ids), off = Ints(a.ExpertOffsets), slot = Ints(a.SlotOf), src = Ints(a.RowSource), nx = Ints(next.View);
        stream.Submit(() => _permuteIndex.Value(stream.Stream, new Index1D(1), ids, off, slot, src, nx, ip));
        long work = choices * a.H;
        if (work > 0)
        {
            long threads = Math.Min(work, MaxThreads);
            var gp = new GatherParams(a.Tokens.Offset, a.Permuted.Offset, a.RowSource.Offset, choices, a.H, threads, Numerics.Code(a.Tokens.DType));
            ArrayView<byte> tokens = Buffer(a.Tokens).Bytes, permuted = Buffer(a.Permuted).Bytes;
            stream.Submit(() => _permuteGather.Value(stream.Stream, new Index1D((int)threads), tokens, src, permuted, gp));
        }
    }

    protected override void MoeUnpermuteCore(CudaStream stream, UnpermuteArgs a)
    {
        long work = (long)a.T * a.H;
        long threads = Math.Min(work, MaxThreads);
        var p = new UnpermuteParams(a.ExpertOutput.Offset, a.Output.Offset, a.SlotOf.Offset, a.Weights.Offset, a.T, a.H, threads, a.K, a.Rows, Numerics.Code(a.ExpertOutput.DType));
        ArrayView<byte> eo = Buffer(a.ExpertOutput).Bytes, output = Buffer(a.Output).Bytes;
        ArrayView<int> slot = Ints(a.SlotOf);
        ArrayView<float> w = Buffer(a.Weights).Bytes.Cast<float>();
        stream.Submit(() => _unpermute.Value(stream.Stream, new Index1D((int)threads), eo, slot, w, output, p));
    }

    private static ArrayView<int> Ints(TensorView v) => Buffer(v).Bytes.Cast<int>();

    private static ArrayView<float> Floats(TensorView v) => Buffer(v).Bytes.Cast<float>();

    /// <summary>Most scratch floats one router launch uses (64 MiB); more tokens take more launches.</summary>
    private const long GatingScratchFloats = 16L << 20;

    protected override void TopKGatingCore(CudaStream stream, GatingArgs a)
    {
        GatingOptions o = a.Options;
        long stride = 4L * a.Experts; // scores, keys, group scores, eligible flags
        int perLaunch = (int)Math.Clamp(GatingScratchFloats / stride, 1, a.Tokens);
        using ScratchBuffer work = Owner.Scratch.Rent(stream, DType.F32, perLaunch * stride);
        TensorView bias = a.Bias ?? a.Logits; // a valid view when there is none; HasBias = 0 keeps it unread
        ArrayView<float> logits = Floats(a.Logits), b = Floats(bias), weights = Floats(a.Weights), scratch = Floats(work.View);
        ArrayView<int> ids = Ints(a.Ids);
        for (int t0 = 0; t0 < a.Tokens; t0 += perLaunch)
        {
            int n = Math.Min(perLaunch, a.Tokens - t0);
            var p = new GatingParams(a.Logits.Offset, a.Bias?.Offset ?? 0, a.Weights.Offset, a.Ids.Offset, t0, t0 + n, stride,
                a.Experts, a.K, o.Score == GatingScore.Sigmoid ? 1 : 0, a.Bias is null ? 0 : 1, o.Groups, o.TopKGroups, o.EffectiveRenormalize ? 1 : 0, o.RoutedScale);
            var config = new KernelConfig(n, Owner.Accelerator.WarpSize); // one warp per token
            stream.Submit(() => _gating.Value(stream.Stream, config, logits, b, weights, ids, scratch, p));
        }
    }

    protected override void RopeCore(CudaStream stream, RopeArgs a)
    {
        int half = a.RotaryDims / 2;
        var invFreq = new float[Math.Max(half, 1)];
        for (int i = 0; i < half; i++)
        {
            invFreq[i] = OpContracts.RopeInverseFrequency(a.Theta, i, a.RotaryDims);
        }

        // The table lives in stream-ordered scratch memory: written on this stream, read by the launch after it.
        using ScratchBuffer table = Owner.Scratch.Rent(stream, DType.F32, invFreq.Length);
        stream.Write<float>(table.View, invFreq);
        long work = (long)a.Tokens * (half + (a.HeadDim - a.RotaryDims));
        long threads = Math.Min(Math.Max(work, 1), MaxThreads);
        var p = new RopeParams(Layout(a.X), Layout(a.Y), a.Positions.Offset, a.Tokens, threads, a.Heads, a.HeadDim, a.RotaryDims,
            a.Layout == RopeLayout.Interleaved ? 1 : 0, Numerics.Code(a.X.DType));
        ArrayView<byte> x = Buffer(a.X).Bytes, y = Buffer(a.Y).Bytes;
        ArrayView<int> pos = Buffer(a.Positions).Bytes.Cast<int>();
        ArrayView<float> freq = Buffer(table.View).Bytes.Cast<float>();
        stream.Submit(() => _rope.Value(stream.Stream, new Index1D((int)threads), x, pos, freq, y, p));
    }

    protected override void SoftmaxCore(CudaStream stream, SoftmaxArgs a)
    {
        var p = new SoftmaxParams(Layout(a.X), Layout(a.Y), a.Rows, a.Cols, a.QueryRows, a.Scale, a.Causal ? 1 : 0, Numerics.Code(a.X.DType), Numerics.Code(a.Y.DType));
        ArrayView<byte> x = Buffer(a.X).Bytes, y = Buffer(a.Y).Bytes;
        KernelConfig config = RowConfig(a.Rows);
        stream.Submit(() => _softmax.Value(stream.Stream, config, x, y, p));
    }

    protected override void RmsNormCore(CudaStream stream, RmsNormArgs a)
    {
        var p = new RmsNormParams(Layout(a.X), Layout(a.Y), a.Gamma.Offset, a.Rows, a.Cols, a.Eps, Numerics.Code(a.X.DType));
        ArrayView<byte> x = Buffer(a.X).Bytes, g = Buffer(a.Gamma).Bytes, y = Buffer(a.Y).Bytes;
        KernelConfig config = RowConfig(a.Rows);
        stream.Submit(() => _rmsnorm.Value(stream.Stream, config, x, g, y, p));
    }

    /// <summary>One warp per row: groups of the warp size, as many groups as rows (at most <see cref="MaxRowGroups"/>).</summary>
    private KernelConfig RowConfig(long rows) => new((int)Math.Min(rows, MaxRowGroups), Owner.Accelerator.WarpSize);

    protected override void SiluCore(CudaStream stream, UnaryArgs a) =>
        Elementwise(stream, ElementwiseKernels.Silu, a.X, null, 1, a.Y, a.Count);

    protected override void SwiGluCore(CudaStream stream, SwiGluArgs a) =>
        Elementwise(stream, ElementwiseKernels.SwiGlu, a.Gate, a.Up, a.Count, a.Y, a.Count);

    protected override void AddCore(CudaStream stream, BinaryArgs a) =>
        Elementwise(stream, ElementwiseKernels.Add, a.A, a.B, a.BCount, a.Y, a.Count);

    protected override void MulCore(CudaStream stream, BinaryArgs a) =>
        Elementwise(stream, ElementwiseKernels.Mul, a.A, a.B, a.BCount, a.Y, a.Count);

    protected override void CastCore(CudaStream stream, CastArgs a) =>
        Elementwise(stream, ElementwiseKernels.Cast, a.X, null, 1, a.Y, a.Count);

    /// <summary>Fills <paramref name="bytes"/> with a 1-, 2- or 4-byte pattern.</summary>
    internal void Fill(CudaStream stream, ArrayView<byte> bytes, int width, uint value)
    {
        long n = bytes.Length / width;
        long threads = Math.Min(Math.Max(n, 1), MaxThreads);
        _fill.Value(stream.Stream, new Index1D((int)threads), bytes, n, threads, width, value);
    }

    private void Elementwise(CudaStream stream, int op, TensorView x, TensorView? b, long bCount, TensorView y, long n)
    {
        TensorView bv = b ?? x; // a valid view when the op has no b; never read
        long threads = Math.Min(n, MaxThreads);
        var p = new ElementwiseParams(Layout(x), Layout(bv), Layout(y), Math.Max(bCount, 1), n, threads, op, Numerics.Code(x.DType), Numerics.Code(y.DType));
        ArrayView<byte> xa = Buffer(x).Bytes, ba = Buffer(bv).Bytes, ya = Buffer(y).Bytes;
        stream.Submit(() => _elementwise.Value(stream.Stream, new Index1D((int)threads), xa, ba, ya, p));
    }

    /// <summary>The layout of a view for <see cref="Numerics.Map"/>.</summary>
    private static ViewLayout Layout(TensorView v) =>
        v.IsContiguous ? new ViewLayout(v.Offset, Math.Max(v.ElementCount, 1), Math.Max(v.ElementCount, 1)) : new ViewLayout(v.Offset, v.RowLength, v.RowStride);

    private T Load<T>(Func<T> load)
    {
        T kernel = load();
        Interlocked.Increment(ref _loaded);
        return kernel;
    }
}
