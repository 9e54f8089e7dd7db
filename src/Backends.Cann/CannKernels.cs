using System;
using System.Collections.Generic;
using System.Linq;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>
/// The op set through aclnn two-phase operators (docs/cann.md maps each op to its operator). Where an operator's contract
/// differs from ours, this class adapts with small extra operators (a cast to F32, a scalar multiply) or host-side index
/// work, or answers unsupported for that call; nothing is silently different. An op is claimed only when every aclnn
/// operator it needs is exported by the loaded libopapi.so.
/// </summary>
internal sealed unsafe class CannKernels : KernelSet<CannDevice, CannStream, CannBuffer>
{
    /// <summary>The aclnn operators each op needs.</summary>
    private static readonly Dictionary<OpKind, string[]> Needs = new()
    {
        [OpKind.Gemm] = ["Matmul", "BatchMatMul", "Mul", "Add", "Cast"],
        [OpKind.GroupedGemm] = ["GroupedMatmulV4", "Cast"],
        [OpKind.Softmax] = ["Softmax", "Mul", "Cast"],
        [OpKind.RmsNorm] = ["RmsNorm"],
        [OpKind.Silu] = ["Silu"],
        [OpKind.SwiGlu] = ["SwiGlu", "Silu", "Mul", "Cast"],
        [OpKind.Add] = ["Add"],
        [OpKind.Mul] = ["Mul"],
        [OpKind.Cast] = ["Cast"],
        [OpKind.Rope] = ["RotaryPositionEmbedding", "Cast"],
        [OpKind.TopKGating] = ["MoeGatingTopK"],
        [OpKind.MoePermute] = ["MoeInitRoutingV2"],
        [OpKind.MoeUnpermute] = ["MoeFinalizeRoutingV2"],
    };

    private readonly HashSet<string> _exported;
    private readonly string? _operatorsMissing;

    public CannKernels(CannDevice device)
        : base(device, "ours")
    {
        CannLibrary.Loaded lib = device.Library;
        _operatorsMissing = lib.OperatorsMissing;
        _exported = new HashSet<string>(
            Needs.Values.SelectMany(v => v).Distinct().Where(op => lib.OpExport($"aclnn{op}GetWorkspaceSize") != 0 && lib.OpExport("aclnn" + op) != 0),
            StringComparer.Ordinal);
    }

    /// <summary>"n of m aclnn operators exported", for diagnostics.</summary>
    public string OperatorSummary => _operatorsMissing is not null
        ? "unavailable: " + _operatorsMissing
        : $"{_exported.Count} of {Needs.Values.SelectMany(v => v).Distinct().Count()} needed exported";

    /// <inheritdoc />
    public override bool Supports(OpKind op, DType dtype) => base.Supports(op, dtype) && MissingOperator(op) is null;

    private string? MissingOperator(OpKind op)
    {
        if (_operatorsMissing is not null)
        {
            return "the aclnn libraries are not loaded: " + _operatorsMissing;
        }

        string? missing = Needs[op].FirstOrDefault(o => !_exported.Contains(o));
        return missing is null ? null : $"libopapi.so does not export aclnn{missing} (an older CANN?)";
    }

    protected override bool AcceptsRowStrides(OpKind op) =>
        op is OpKind.Gemm or OpKind.GroupedGemm or OpKind.Softmax or OpKind.RmsNorm or OpKind.Silu or OpKind.SwiGlu
            or OpKind.Add or OpKind.Mul or OpKind.Cast or OpKind.Rope;

    protected override string? WhyUnsupported(OpArgs args)
    {
        string? why = base.WhyUnsupported(args) ?? MissingOperator(args.Op);
        if (why is not null)
        {
            return why;
        }

        switch (args)
        {
            case GatingArgs g when g.Bias is not null && g.Options.Groups > 1 && g.GroupSize < 2:
                return "aclnnMoeGatingTopK's sum-of-top-2 group score needs at least 2 experts per group";
            default:
                return null;
        }
    }

    // ---------------------------------------------------------------- GEMM

    protected override void GemmCore(CannStream stream, GemmArgs a)
    {
        int batch = a.Batch > 1 ? a.Batch : 0; // 0: plain 2-D aclnnMatmul
        if (a.Alpha == 1f && a.Beta == 0f && a.C.DType == a.A.DType && a.K > 0)
        {
            // The operator's own contract: out = self @ mat2, one dtype throughout.
            using var call = new AclnnCall(Owner);
            nint am = Operand(call, a.A, a.TransA, a.M, a.K, a.BatchStrideA, batch);
            nint bm = Operand(call, a.B, a.TransB, a.K, a.N, a.BatchStrideB, batch);
            nint cm = Matrix(call, a.C.Buffer, a.C.Offset, a.M, a.N, a.LdC, a.BatchStrideC, batch);
            Matmul(call, stream, am, bm, cm, batch);
            return;
        }

        // Our contract beyond it (alpha, beta, F32 output for F16/BF16 inputs, K = 0): the product in F32, then
        // C = alpha·T (beta = 0) or C = beta·C + alpha·T with aclnnMul/aclnnAdd.
        using ScratchBuffer? a32 = a.A.DType == DType.F32 || a.K == 0 ? null : CastToF32(stream, a.A);
        using ScratchBuffer? b32 = a.B.DType == DType.F32 || a.K == 0 ? null : CastToF32(stream, a.B);
        TensorView av = a32?.View.Reshape([.. a.A.Shape]) ?? a.A, bv = b32?.View.Reshape([.. a.B.Shape]) ?? a.B;
        long mn = (long)a.M * a.N;
        bool intoC = a.Beta == 0f && a.Alpha == 1f && a.K > 0 && a.C.DType == DType.F32;
        using ScratchBuffer? t = intoC ? null : Owner.Scratch.Rent(stream, DType.F32, checked(a.Batch * mn));
        if (a.K > 0)
        {
            using var call = new AclnnCall(Owner);
            nint cm = t is null
                ? Matrix(call, a.C.Buffer, a.C.Offset, a.M, a.N, a.LdC, a.BatchStrideC, batch)
                : Matrix(call, t.View.Buffer, 0, a.M, a.N, a.N, mn, batch);
            nint am = Operand(call, av, a.TransA, a.M, a.K, a.BatchStrideA == 0 ? 0 : av.RowStride, batch);
            nint bm = Operand(call, bv, a.TransB, a.K, a.N, a.BatchStrideB == 0 ? 0 : bv.RowStride, batch);
            Matmul(call, stream, am, bm, cm, batch);
        }
        else
        {
            Zero(stream, t!.View.Buffer, 0, checked(a.Batch * mn * 4));
        }

        if (t is null)
        {
            return;
        }

        using ScratchBuffer scalars = Owner.Scratch.Rent(stream, DType.F32, 2);
        stream.Write<float>(scalars.View, [a.Alpha, a.Beta]);
        using var combine = new AclnnCall(Owner);
        nint c = Matrix(combine, a.C.Buffer, a.C.Offset, a.M, a.N, a.LdC, a.BatchStrideC, batch);
        nint tm = Matrix(combine, t.View.Buffer, 0, a.M, a.N, a.N, mn, batch);
        nint alpha = combine.Tensor(scalars.View.Buffer, 0, [1], [1]);
        if (a.Beta == 0f)
        {
            combine.Run(stream, "Mul", (ws, ex) => Aclnn.aclnnMulGetWorkspaceSize(tm, alpha, c, ws, ex));
            return;
        }

        nint beta = combine.Tensor(scalars.View.Buffer, 1, [1], [1]);
        combine.Run(stream, "Mul", (ws, ex) => Aclnn.aclnnMulGetWorkspaceSize(c, beta, c, ws, ex));
        nint alphaScalar = combine.Scalar(a.Alpha);
        combine.Run(stream, "Add", (ws, ex) => Aclnn.aclnnAddGetWorkspaceSize(c, tm, alphaScalar, c, ws, ex));
    }

    private static void Matmul(AclnnCall call, CannStream stream, nint a, nint b, nint c, int batch)
    {
        if (batch > 0)
        {
            call.Run(stream, "BatchMatMul", (ws, ex) => Aclnn.aclnnBatchMatMulGetWorkspaceSize(a, b, c, 0, ws, ex));
        }
        else
        {
            call.Run(stream, "Matmul", (ws, ex) => Aclnn.aclnnMatmulGetWorkspaceSize(a, b, c, 0, ws, ex));
        }
    }

    /// <summary>
    /// A GEMM operand as the logical [rows, cols] matrix (a transposed one as a strided view); with batch &gt; 0,
    /// [batch, rows, cols] where a shared operand has batch stride 0.
    /// </summary>
    private static nint Operand(AclnnCall call, TensorView v, bool trans, int rows, int cols, long batchStride, int batch)
    {
        long ld = v.Rank == 2 ? v.RowStride : v.Dim(-1);
        long rs = trans ? 1 : ld, cs = trans ? ld : 1;
        return batch > 0
            ? call.Tensor(v.Buffer, v.Offset, [batch, rows, cols], [batchStride, rs, cs])
            : call.Tensor(v.Buffer, v.Offset, [rows, cols], [rs, cs]);
    }

    private static nint Matrix(AclnnCall call, DeviceBuffer buffer, long offset, int rows, int cols, long ld, long batchStride, int batch) =>
        batch > 0
            ? call.Tensor(buffer, offset, [batch, rows, cols], [batchStride, ld, 1])
            : call.Tensor(buffer, offset, [rows, cols], [ld, 1]);

    /// <summary>Sets bytes of a buffer to 0 on the stream (aclrtMemsetAsync).</summary>
    private static void Zero(CannStream stream, DeviceBuffer buffer, long byteOffset, long bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        var b = (CannBuffer)buffer;
        CannErrors.Check(Acl.aclrtMemsetAsync(b.Address + (nint)byteOffset, (nuint)(b.AllocatedBytes - byteOffset), 0, (nuint)bytes, stream.Handle), "aclrtMemsetAsync");
    }

    /// <summary>A contiguous F32 copy of a view (same shape) through aclnnCast.</summary>
    private ScratchBuffer CastToF32(CannStream stream, TensorView v)
    {
        ScratchBuffer s = Owner.Scratch.Rent(stream, DType.F32, v.ElementCount);
        try
        {
            using var call = new AclnnCall(Owner);
            nint x = call.Tensor(v);
            nint y = call.Tensor(s.View.Reshape([.. v.Shape]));
            call.Run(stream, "Cast", (ws, ex) => Aclnn.aclnnCastGetWorkspaceSize(x, Aclnn.Float, y, ws, ex));
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }
    // ---------------------------------------------------------------- grouped GEMM

    protected override void GroupedGemmCore(CannStream stream, GroupedGemmArgs a)
    {
        // aclnnGroupedMatmulV4 takes an INT64 cumsum group list whose first group starts at row 0 and which must be
        // non-decreasing and within x. Our offsets are device data that may be anything, made safe by clamping: they
        // are read back (a host round trip), clamped as the contract says, and the rows outside every group zeroed.
        int[] raw = stream.Read<int>(a.ExpertOffsets);
        int[] off = OpContracts.EffectiveOffsets(raw, a.Rows);
        int lo = off[0], hi = off[a.Experts];
        int size = a.C.DType.SizeInBytes();
        ZeroRows(stream, a.C, 0, lo, size);
        ZeroRows(stream, a.C, hi, a.Rows - hi, size);
        if (hi == lo)
        {
            return;
        }

        var groups = new long[a.Experts];
        for (int e = 0; e < a.Experts; e++)
        {
            groups[e] = off[e + 1] - lo;
        }

        using ScratchBuffer list = Owner.Scratch.Rent(stream, DType.I32, 2L * a.Experts);
        stream.Write<int>(list.View, System.Runtime.InteropServices.MemoryMarshal.Cast<long, int>(groups));
        int rows = hi - lo;
        bool widen = a.C.DType != a.A.DType; // F16/BF16 in, F32 out: the operator keeps one dtype, so compute in F32
        TensorView x = a.A.Slice(lo, rows);
        using ScratchBuffer? x32 = widen ? CastToF32(stream, x) : null;
        using ScratchBuffer? w32 = widen ? CastToF32(stream, a.Weights) : null;
        TensorView xv = x32?.View.Reshape(rows, a.K) ?? x;
        TensorView wv = w32?.View.Reshape([.. a.Weights.Shape]) ?? a.Weights;
        using var call = new AclnnCall(Owner);
        long n = a.N, k = a.K;
        nint xt = call.List(call.Tensor(xv.Buffer, xv.Offset, [rows, k], [xv.RowStride, 1]));
        nint wt = call.List(a.TransB
            ? call.Tensor(wv.Buffer, wv.Offset, [a.Experts, k, n], [n * k, 1, k])
            : call.Tensor(wv.Buffer, wv.Offset, [a.Experts, k, n], [k * n, n, 1]));
        nint gl = call.Tensor(list.View.Buffer, 0, [a.Experts], [1], Aclnn.Int64, 8);
        nint yt = call.List(call.Tensor(a.C.Buffer, a.C.Offset + ((long)lo * a.LdC), [rows, n], [a.LdC, 1]));
        call.Run(stream, "GroupedMatmulV4", (ws, ex) => Aclnn.aclnnGroupedMatmulV4GetWorkspaceSize(
            xt, wt, 0, 0, 0, 0, 0, 0, gl, 0, 0, 0, splitItem: 3, groupType: 0, groupListType: 0, actType: 0, yt, 0, 0, ws, ex));
    }

    /// <summary>Zeroes rows [start, start + count) of a matrix view (one memset when contiguous, else one per row).</summary>
    private static void ZeroRows(CannStream stream, TensorView v, int start, int count, int size)
    {
        if (count <= 0)
        {
            return;
        }

        long rowBytes = v.RowLength * size;
        if (v.IsContiguous)
        {
            Zero(stream, v.Buffer, (v.Offset + (start * v.RowLength)) * size, count * rowBytes);
            return;
        }

        for (long r = start; r < start + count; r++)
        {
            Zero(stream, v.Buffer, (v.Offset + (r * v.RowStride)) * size, rowBytes);
        }
    }

    // ---------------------------------------------------------------- row ops

    protected override void SoftmaxCore(CannStream stream, SoftmaxArgs a)
    {
        if (a.Causal)
        {
            CausalSoftmax(stream, a);
            return;
        }

        if (a.Scale == 1f)
        {
            using var direct = new AclnnCall(Owner);
            nint x = direct.Tensor(a.X), y = direct.Tensor(a.Y);
            direct.Run(stream, "Softmax", (ws, ex) => Aclnn.aclnnSoftmaxGetWorkspaceSize(x, -1, y, ws, ex));
            return;
        }

        // aclnnSoftmax has no scale: s·x in F32 first (aclnnMul with a one-element tensor), then the softmax, then the cast.
        int[] shape = [.. a.X.Shape];
        using ScratchBuffer scaled = Owner.Scratch.Rent(stream, DType.F32, a.X.ElementCount);
        using ScratchBuffer scale = Owner.Scratch.Rent(stream, DType.F32, 1);
        stream.Write<float>(scale.View, [a.Scale]);
        using ScratchBuffer? result = a.Y.DType == DType.F32 ? null : Owner.Scratch.Rent(stream, DType.F32, a.X.ElementCount);
        using var call = new AclnnCall(Owner);
        nint xin = call.Tensor(a.X), s = call.Tensor(scale.View), t = call.Tensor(scaled.View.Reshape(shape));
        call.Run(stream, "Mul", (ws, ex) => Aclnn.aclnnMulGetWorkspaceSize(xin, s, t, ws, ex));
        nint r = result is null ? call.Tensor(a.Y) : call.Tensor(result.View.Reshape(shape));
        call.Run(stream, "Softmax", (ws, ex) => Aclnn.aclnnSoftmaxGetWorkspaceSize(t, -1, r, ws, ex));
        if (result is not null)
        {
            nint y = call.Tensor(a.Y);
            int dt = AclnnCall.DataType(a.Y.DType);
            call.Run(stream, "Cast", (ws, ex) => Aclnn.aclnnCastGetWorkspaceSize(r, dt, y, ws, ex));
        }
    }

    /// <summary>
    /// aclnnSoftmax has no mask: query row r of every batch keeps its first kept(r) columns, so each query row is one
    /// aclnnSoftmax over a [.., kept] view (batches as strided leading dimensions) and the masked columns are written
    /// 0 by an aclnnMul of a zero tensor by itself (an additive −∞ mask would turn a masked +∞ or NaN into a NaN row).
    /// One or two operators per query row: correct, but many small launches for long prompts.
    /// </summary>
    private void CausalSoftmax(CannStream stream, SoftmaxArgs a)
    {
        if (a.Rows == 0 || a.Cols == 0)
        {
            return;
        }

        int[] shape = [.. a.X.Shape];
        // F16/BF16 and a scale go through F32 (x·s with aclnnMul; s = 1 is exact); F32 with s = 1 reads x directly.
        using ScratchBuffer? scaled = a.Scale == 1f && a.X.DType == DType.F32 ? null : Owner.Scratch.Rent(stream, DType.F32, a.X.ElementCount);
        using ScratchBuffer? result = a.Y.DType == DType.F32 ? null : Owner.Scratch.Rent(stream, DType.F32, a.X.ElementCount);
        using ScratchBuffer zero = Owner.Scratch.Rent(stream, DType.F32, 1);
        Zero(stream, zero.View.Buffer, 0, 4);
        using var call = new AclnnCall(Owner);
        TensorView src = a.X;
        if (scaled is not null)
        {
            using ScratchBuffer scale = Owner.Scratch.Rent(stream, DType.F32, 1);
            stream.Write<float>(scale.View, [a.Scale]);
            nint xin = call.Tensor(a.X), sv = call.Tensor(scale.View), t = call.Tensor(scaled.View.Reshape(shape));
            call.Run(stream, "Mul", (ws, ex) => Aclnn.aclnnMulGetWorkspaceSize(xin, sv, t, ws, ex));
            src = scaled.View.Reshape(shape);
        }

        TensorView dst = result?.View.Reshape(shape) ?? a.Y;
        for (int r = 0; r < a.QueryRows; r++)
        {
            int kept = a.KeptColumns(r);
            using var row = new AclnnCall(Owner);
            if (kept > 0)
            {
                nint x = QueryRow(row, src, r, 0, kept), y = QueryRow(row, dst, r, 0, kept);
                row.Run(stream, "Softmax", (ws, ex) => Aclnn.aclnnSoftmaxGetWorkspaceSize(x, -1, y, ws, ex));
            }

            if (kept < a.Cols)
            {
                nint masked = QueryRow(row, dst, r, kept, a.Cols - kept);
                (long[] dims, _, _) = QueryRowLayout(dst, r, kept, a.Cols - kept);
                nint z = row.Tensor(zero.View.Buffer, 0, dims, new long[dims.Length]);
                row.Run(stream, "Mul", (ws, ex) => Aclnn.aclnnMulGetWorkspaceSize(z, z, masked, ws, ex));
            }
        }

        if (result is not null)
        {
            nint r32 = call.Tensor(dst), y = call.Tensor(a.Y);
            int dt = AclnnCall.DataType(a.Y.DType);
            call.Run(stream, "Cast", (ws, ex) => Aclnn.aclnnCastGetWorkspaceSize(r32, dt, y, ws, ex));
        }
    }

    private static nint QueryRow(AclnnCall call, TensorView v, int r, int first, int count)
    {
        (long[] dims, long[] strides, long offset) = QueryRowLayout(v, r, first, count);
        return call.Tensor(v.Buffer, offset, dims, strides);
    }

    /// <summary>Columns [first, first + count) of query row r (index in dimension −2) of every batch of v, as [lead..., count].</summary>
    private static (long[] Dims, long[] Strides, long Offset) QueryRowLayout(TensorView v, int r, int first, int count)
    {
        int rank = v.Rank;
        if (rank == 1)
        {
            return ([count], [1], v.Offset + first);
        }

        if (rank == 2)
        {
            return ([count], [1], v.Offset + (r * v.RowStride) + first);
        }

        int lead = rank - 2;
        var dims = new long[lead + 1];
        var strides = new long[lead + 1];
        long inner = (long)v.Shape[^2] * v.Shape[^1];
        for (int k = lead - 1; k >= 0; k--)
        {
            dims[k] = v.Shape[k];
            strides[k] = k == 0 ? v.RowStride : inner;
            inner *= v.Shape[k];
        }

        dims[lead] = count;
        strides[lead] = 1;
        return (dims, strides, v.Offset + ((long)r * v.Shape[^1]) + first);
    }

    protected override void RmsNormCore(CannStream stream, RmsNormArgs a)
    {
        using ScratchBuffer rstd = Owner.Scratch.Rent(stream, DType.F32, a.Rows);
        int[] rshape = [.. a.X.Shape];
        rshape[^1] = 1;
        using var call = new AclnnCall(Owner);
        nint x = call.Tensor(a.X), g = call.Tensor(a.Gamma), y = call.Tensor(a.Y);
        nint r = call.Tensor(rstd.View.Reshape(rshape));
        double eps = a.Eps;
        call.Run(stream, "RmsNorm", (ws, ex) => Aclnn.aclnnRmsNormGetWorkspaceSize(x, g, eps, y, r, ws, ex));
    }

    // ---------------------------------------------------------------- elementwise

    protected override void SiluCore(CannStream stream, UnaryArgs a)
    {
        using var call = new AclnnCall(Owner);
        nint x = call.Tensor(a.X), y = call.Tensor(a.Y);
        call.Run(stream, "Silu", (ws, ex) => Aclnn.aclnnSiluGetWorkspaceSize(x, y, ws, ex));
    }

    protected override void SwiGluCore(CannStream stream, SwiGluArgs a)
    {
        using var call = new AclnnCall(Owner);
        if (FusedHalves(a.Gate, a.Up) is { } fused)
        {
            // gate and up are the two column halves of one [.., 2F] tensor: exactly aclnnSwiGlu's input (a = first half).
            nint x = call.Tensor(a.Gate.Buffer, a.Gate.Offset, fused.Dims, fused.Strides), y = call.Tensor(a.Y);
            call.Run(stream, "SwiGlu", (ws, ex) => Aclnn.aclnnSwiGluGetWorkspaceSize(x, -1, y, ws, ex));
            return;
        }

        // Separate tensors: silu(gate) in F32 (aclnnCast + aclnnSilu), then aclnnMul by up into y (one rounding).
        int[] shape = [.. a.Gate.Shape];
        using ScratchBuffer g32 = a.Gate.DType == DType.F32 ? Owner.Scratch.Rent(stream, DType.F32, a.Count) : CastToF32(stream, a.Gate);
        nint gin = call.Tensor(a.Gate.DType == DType.F32 ? a.Gate : g32.View.Reshape(shape));
        nint s = call.Tensor(g32.View.Reshape(shape));
        call.Run(stream, "Silu", (ws, ex) => Aclnn.aclnnSiluGetWorkspaceSize(gin, s, ws, ex));
        nint up = call.Tensor(a.Up), yv = call.Tensor(a.Y);
        call.Run(stream, "Mul", (ws, ex) => Aclnn.aclnnMulGetWorkspaceSize(s, up, yv, ws, ex));
    }

    /// <summary>When up starts right after gate's last column in the same rows, the [.., 2F] view holding both.</summary>
    private static (long[] Dims, long[] Strides)? FusedHalves(TensorView gate, TensorView up)
    {
        if (!ReferenceEquals(gate.Buffer, up.Buffer) || !gate.Shape.SequenceEqual(up.Shape) || gate.Rank == 0)
        {
            return null;
        }

        int f = gate.Shape[^1];
        long rowStride = gate.Rank >= 2 ? gate.RowStride : 2L * f;
        bool rowsOk = gate.Rank <= 1 || (up.RowStride == gate.RowStride && (gate.Rank == 2 || gate.RowLength == f));
        if (f == 0 || up.Offset != gate.Offset + f || !rowsOk || rowStride < 2L * f)
        {
            return null;
        }

        var dims = gate.Shape.Select(d => (long)d).ToArray();
        dims[^1] = 2L * f;
        long[] strides = new long[dims.Length];
        strides[^1] = 1;
        if (dims.Length >= 2)
        {
            strides[0] = rowStride;
        }

        return (dims, strides);
    }

    protected override void AddCore(CannStream stream, BinaryArgs a)
    {
        using var call = new AclnnCall(Owner);
        nint x = call.Tensor(a.A), b = call.Tensor(a.B), y = call.Tensor(a.Y), one = call.Scalar(1f);
        call.Run(stream, "Add", (ws, ex) => Aclnn.aclnnAddGetWorkspaceSize(x, b, one, y, ws, ex));
    }

    protected override void MulCore(CannStream stream, BinaryArgs a)
    {
        using var call = new AclnnCall(Owner);
        nint x = call.Tensor(a.A), b = call.Tensor(a.B), y = call.Tensor(a.Y);
        call.Run(stream, "Mul", (ws, ex) => Aclnn.aclnnMulGetWorkspaceSize(x, b, y, ws, ex));
    }

    protected override void CastCore(CannStream stream, CastArgs a)
    {
        using var call = new AclnnCall(Owner);
        nint x = call.Tensor(a.X), y = call.Tensor(a.Y);
        int dt = AclnnCall.DataType(a.Y.DType);
        call.Run(stream, "Cast", (ws, ex) => Aclnn.aclnnCastGetWorkspaceSize(x, dt, y, ws, ex));
    }
    // ---------------------------------------------------------------- rope

    protected override void RopeCore(CannStream stream, RopeArgs a)
    {
        if (a.Tokens == 0)
        {
            return;
        }

        // aclnnRotaryPositionEmbedding takes cos/sin tables [1,T,1,R]: built on the host from the contract's F32 angles
        // (positions are read back, a host round trip). Only the first R = rotaryDims dimensions are handed over (the
        // operator pairs within what it sees); the rest are copied with an aclnnCast to the same dtype.
        int[] pos = stream.Read<int>(a.Positions);
        int r = a.RotaryDims, half = r / 2, t = a.Tokens, h = a.Heads, d = a.HeadDim;
        var invFreq = new float[Math.Max(half, 1)];
        for (int p = 0; p < half; p++)
        {
            invFreq[p] = OpContracts.RopeInverseFrequency(a.Theta, p, r);
        }

        bool interleaved = a.Layout == RopeLayout.Interleaved;
        var cos = new float[(long)t * r];
        var sin = new float[(long)t * r];
        for (int i = 0; i < t; i++)
        {
            for (int j = 0; j < r; j++)
            {
                (double sn, double cs) = Math.SinCos(OpContracts.RopeAngle(pos[i], invFreq[interleaved ? j / 2 : j % half]));
                cos[((long)i * r) + j] = (float)cs;
                sin[((long)i * r) + j] = (float)sn;
            }
        }

        using var call = new AclnnCall(Owner);
        if (r > 0)
        {
            using ScratchBuffer tables = Owner.Scratch.Rent(stream, DType.F32, 2L * t * r);
            stream.Write<float>(tables.View.Slice(0, t * r), cos);
            stream.Write<float>(tables.View.Slice(t * r, t * r), sin);
            nint ct = call.Tensor(tables.View.Buffer, 0, [1, t, 1, r], [(long)t * r, r, r, 1]);
            nint st = call.Tensor(tables.View.Buffer, (long)t * r, [1, t, 1, r], [(long)t * r, r, r, 1]);
            long mode = interleaved ? 1 : 0;

            // F16/BF16 go through F32 (the operator wants tables in x's dtype, which would round cos and sin); an
            // in-place call goes through scratch (the operator reads partners another element writes).
            bool widen = a.X.DType != DType.F32;
            bool inPlace = a.X.Buffer == a.Y.Buffer && a.X.Overlaps(a.Y);
            long count = (long)t * h * r;
            nint xin = RotaryView(call, a.X, 0, r);
            nint yout = RotaryView(call, a.Y, 0, r);
            using ScratchBuffer? x32 = widen ? Owner.Scratch.Rent(stream, DType.F32, count) : null;
            using ScratchBuffer? y32 = widen || inPlace ? Owner.Scratch.Rent(stream, DType.F32, count) : null;
            long[] dense = [1, t, h, r], denseStrides = [count, (long)h * r, r, 1];
            if (x32 is not null)
            {
                nint xs = call.Tensor(x32.View.Buffer, 0, dense, denseStrides);
                call.Run(stream, "Cast", (ws, ex) => Aclnn.aclnnCastGetWorkspaceSize(xin, Aclnn.Float, xs, ws, ex));
                xin = xs;
            }

            nint target = y32 is null ? yout : call.Tensor(y32.View.Buffer, 0, dense, denseStrides);
            call.Run(stream, "RotaryPositionEmbedding", (ws, ex) => Aclnn.aclnnRotaryPositionEmbeddingGetWorkspaceSize(xin, ct, st, mode, target, ws, ex));
            if (y32 is not null)
            {
                int dt = AclnnCall.DataType(a.Y.DType);
                call.Run(stream, "Cast", (ws, ex) => Aclnn.aclnnCastGetWorkspaceSize(target, dt, yout, ws, ex));
            }
        }

        if (r < d && !a.X.IsSameAs(a.Y))
        {
            nint xt = RotaryView(call, a.X, r, d - r), yt = RotaryView(call, a.Y, r, d - r);
            int dt = AclnnCall.DataType(a.Y.DType);
            call.Run(stream, "Cast", (ws, ex) => Aclnn.aclnnCastGetWorkspaceSize(xt, dt, yt, ws, ex));
        }
    }

    /// <summary>Dimensions [first, first + count) of every head of x [T,H,D] or [T,D], as a [1,T,H,count] (BSND) view.</summary>
    private static nint RotaryView(AclnnCall call, TensorView v, int first, int count)
    {
        int t = v.Shape[0], h = v.Rank == 3 ? v.Shape[1] : 1, d = v.Shape[^1];
        long ts = v.RowStride;
        return call.Tensor(v.Buffer, v.Offset + first, [1, t, h, count], [(long)t * ts, ts, d, 1]);
    }

    // ---------------------------------------------------------------- MoE

    protected override void TopKGatingCore(CannStream stream, GatingArgs a)
    {
        GatingOptions o = a.Options;
        using var call = new AclnnCall(Owner);
        nint x = call.Tensor(a.Logits), bias = a.Bias is null ? 0 : call.Tensor(a.Bias);
        nint w = call.Tensor(a.Weights), ids = call.Tensor(a.Ids);
        long k = a.K, groups = o.Groups, keep = o.Groups > 1 ? o.TopKGroups : 1;
        long selectMode = a.Bias is not null && o.Groups > 1 ? 1 : 0; // sum of the top-2 biased scores : the group max
        long normType = o.Score == GatingScore.Sigmoid ? 1 : 0;
        bool hostRenormalize = o.Score == GatingScore.Softmax && o.Renormalize; // the operator renormalises sigmoid only
        double scale = hostRenormalize ? 1.0 : o.RoutedScale;

        // eps: the operator divides by (Σy + eps); 0, not its documented default 1e-20, so that chosen scores summing to
        // 0 (every chosen sigmoid underflowed) give 0/0 = NaN weights, as the contract's plain renormalisation does on
        // every other device (1e-20 gave 0 there).
        call.Run(stream, "MoeGatingTopK", (ws, ex) => Aclnn.aclnnMoeGatingTopKGetWorkspaceSize(
            x, bias, k, keep, groups, selectMode, renorm: 0, normType, outFlag: false, scale, eps: 0, w, ids, 0, ws, ex));
        if (hostRenormalize && a.Tokens > 0)
        {
            // Softmax scores renormalised over the chosen: read back (a host round trip), w / Σw · scale, written back.
            float[] weights = stream.Read<float>(a.Weights);
            for (int t = 0; t < a.Tokens; t++)
            {
                Span<float> row = weights.AsSpan(t * a.K, a.K);
                float sum = 0;
                foreach (float v in row)
                {
                    sum += v;
                }

                for (int j = 0; j < row.Length; j++)
                {
                    row[j] = row[j] / sum * o.RoutedScale;
                }
            }

            stream.Write<float>(a.Weights, weights);
        }
    }

    protected override void MoePermuteCore(CannStream stream, PermuteArgs a)
    {
        // The index work (which is small) is done on the host from the ids read back; the row gather runs on the device:
        // aclnnMoeInitRoutingV2 when every id is a valid expert (its sort is stable, so its order is ours and its
        // expandedRowIdx is our slotOf), device-to-device row copies when some choices are dropped (ids outside [0,E)),
        // which the operator does not take.
        int n = a.T * a.K;
        int[] ids = stream.Read<int>(a.Ids);
        var counts = new int[a.Experts + 1];
        bool allValid = true;
        foreach (int id in ids)
        {
            if ((uint)id < (uint)a.Experts)
            {
                counts[id + 1]++;
            }
            else
            {
                allValid = false;
            }
        }

        int[] offsets = counts;
        for (int e = 1; e <= a.Experts; e++)
        {
            offsets[e] += offsets[e - 1];
        }

        var next = offsets.Take(a.Experts).ToArray();
        var slot = new int[n];
        var source = new int[n];
        Array.Fill(source, -1);
        for (int i = 0; i < n; i++)
        {
            int id = ids[i];
            if ((uint)id < (uint)a.Experts)
            {
                int p = next[id]++;
                slot[i] = p;
                source[p] = i / a.K;
            }
            else
            {
                slot[i] = -1;
            }
        }

        stream.Write<int>(a.RowSource, source);
        stream.Write<int>(a.ExpertOffsets, offsets);
        int size = a.Tokens.DType.SizeInBytes();
        if (allValid && n > 0)
        {
            using ScratchBuffer cumsum = Owner.Scratch.Rent(stream, DType.I32, 2L * Math.Max(a.Experts, 1));
            using var call = new AclnnCall(Owner);
            nint x = call.Tensor(a.Tokens), idx = call.Tensor(a.Ids), px = call.Tensor(a.Permuted);
            nint rowIdx = call.Tensor(a.SlotOf.Buffer, a.SlotOf.Offset, [n], [1]);
            nint cs = call.Tensor(cumsum.View.Buffer, 0, [a.Experts], [1], Aclnn.Int64, 8);
            long experts = a.Experts;
            call.Run(stream, "MoeInitRoutingV2", (ws, ex) => Aclnn.aclnnMoeInitRoutingV2GetWorkspaceSize(
                x, idx, activeNum: 0, expertCapacity: 0, experts, dropPadMode: 0, expertTokensCountOrCumsumFlag: 1, false, px, rowIdx, cs, 0, ws, ex));
            return;
        }

        stream.Write<int>(a.SlotOf, slot);
        var src = (CannBuffer)a.Tokens.Buffer;
        var dst = (CannBuffer)a.Permuted.Buffer;
        long rowBytes = (long)a.H * size;
        int used = offsets[a.Experts];
        for (int p = 0; p < used && rowBytes > 0; p++)
        {
            long from = (a.Tokens.Offset + ((long)source[p] * a.H)) * size, to = (a.Permuted.Offset + ((long)p * a.H)) * size;
            CannErrors.Check(Acl.aclrtMemcpyAsync(dst.Address + (nint)to, (nuint)(dst.AllocatedBytes - to), src.Address + (nint)from, (nuint)rowBytes, Acl.DeviceToDevice, stream.Handle), "aclrtMemcpyAsync");
        }

        Zero(stream, a.Permuted.Buffer, (a.Permuted.Offset + ((long)used * a.H)) * size, (long)(n - used) * rowBytes);
    }

    protected override void MoeUnpermuteCore(CannStream stream, UnpermuteArgs a)
    {
        int size = a.Output.DType.SizeInBytes();
        if (a.T == 0)
        {
            return;
        }

        if (a.K == 0 || a.H == 0)
        {
            Zero(stream, a.Output.Buffer, a.Output.ByteOffset, a.Output.SizeInBytes);
            return;
        }

        // aclnnMoeFinalizeRoutingV2 reads expandedRowIdx[i + k·T] (choice-major), so the [T,k] slots are transposed on
        // the host (read back: a host round trip). A slot outside [0,R) must contribute nothing: then the expert rows
        // are copied to scratch with one extra zero row, and such slots point at it with weight 0 (a copy of the
        // weights with theirs zeroed: a NaN or infinite weight times the zero row would be NaN).
        int[] slot = stream.Read<int>(a.SlotOf);
        bool allValid = slot.All(s => (uint)s < (uint)a.Rows);
        int rows = allValid ? a.Rows : a.Rows + 1;
        var transposed = new int[slot.Length];
        for (int t = 0; t < a.T; t++)
        {
            for (int j = 0; j < a.K; j++)
            {
                int s = slot[(t * a.K) + j];
                transposed[t + (j * a.T)] = (uint)s < (uint)a.Rows ? s : a.Rows;
            }
        }

        using ScratchBuffer idx = Owner.Scratch.Rent(stream, DType.I32, transposed.Length);
        stream.Write<int>(idx.View, transposed);
        using ScratchBuffer? padded = allValid ? null : Owner.Scratch.Rent(stream, a.ExpertOutput.DType, (long)rows * a.H);
        TensorView expert = a.ExpertOutput;
        if (padded is not null)
        {
            long bytes = (long)a.Rows * a.H * size;
            var src = (CannBuffer)a.ExpertOutput.Buffer;
            var dst = (CannBuffer)padded.View.Buffer;
            if (bytes > 0)
            {
                CannErrors.Check(Acl.aclrtMemcpyAsync(dst.Address, (nuint)dst.AllocatedBytes, src.Address + (nint)a.ExpertOutput.ByteOffset, (nuint)bytes, Acl.DeviceToDevice, stream.Handle), "aclrtMemcpyAsync");
            }

            Zero(stream, dst, bytes, (long)a.H * size);
            expert = padded.View.Reshape(rows, a.H);
        }

        using ScratchBuffer? maskedWeights = allValid ? null : Owner.Scratch.Rent(stream, DType.F32, slot.Length);
        TensorView weights = a.Weights;
        if (maskedWeights is not null)
        {
            float[] w = stream.Read<float>(a.Weights);
            for (int i = 0; i < w.Length; i++)
            {
                if ((uint)slot[i] >= (uint)a.Rows)
                {
                    w[i] = 0;
                }
            }

            stream.Write<float>(maskedWeights.View, w);
            weights = maskedWeights.View.Reshape(a.T, a.K);
        }

        using var call = new AclnnCall(Owner);
        nint ex1 = call.Tensor(expert), ri = call.Tensor(idx.View), sc = call.Tensor(weights), output = call.Tensor(a.Output);
        call.Run(stream, "MoeFinalizeRoutingV2", (ws, ex) => Aclnn.aclnnMoeFinalizeRoutingV2GetWorkspaceSize(
            ex1, ri, 0, 0, 0, sc, 0, dropPadMode: 0, output, ws, ex));
    }
}
