using System;
using System.Collections.Concurrent;
using System.Globalization;

namespace Backends.OpenCL;

/// <summary>
/// The standard op set on an OpenCL device: each call is validated by <see cref="KernelSet"/>, then the matching
/// kernel (built for the call's dtypes and flags, cached) is enqueued on the stream.
/// </summary>
internal sealed unsafe partial class OpenCLKernels : KernelSet<OpenCLDevice, OpenCLStream, OpenCLBuffer>, IDisposable
{
    private readonly OpenCLDevice _device;
    /// <summary>RoPE frequency tables kept per (θ, rotary dims) before the cache is cleared.</summary>
    private const int MaxFrequencyTables = 64;

    private readonly ConcurrentDictionary<(float Theta, int Rot), ClHandle> _invFreq = new();
    private readonly Lazy<OpenCLStream> _setup;

    public OpenCLKernels(OpenCLDevice device, string variant, bool perRowReductions, bool alwaysLocalTiles = false)
        : base(device, variant)
    {
        _device = device;
        PerRowReductions = perRowReductions;
        AlwaysLocalTiles = alwaysLocalTiles;
        _setup = new Lazy<OpenCLStream>(() => new OpenCLStream(device));
        RowGroup = device.IsCpu ? 16 : Math.Min(256, device.MaxWorkGroupSize);
        Linear = device.IsCpu ? 64 : Math.Min(256, device.MaxWorkGroupSize);
    }

    /// <summary>
    /// Row reductions (softmax, RMS norm) with one work-item per row walking it in vectors (what suits CPU devices,
    /// where a work-group runs on one core and barriers only cost), instead of a work-group per row reducing in
    /// local memory (what suits GPUs).
    /// </summary>
    public bool PerRowReductions { get; }

    /// <summary>Use the work-group-staged GEMM kernel for every K (a variant for tests and benchmarks), not only above 1024.</summary>
    public bool AlwaysLocalTiles { get; }

    /// <summary>RoPE frequency tables held on the device now (bounded by MaxFrequencyTables).</summary>
    internal int FrequencyTables => _invFreq.Count;

    /// <summary>Work-items per row in the work-group row reductions (a power of two).</summary>
    private int RowGroup { get; }

    /// <summary>Work-group size of 1-D elementwise launches.</summary>
    private int Linear { get; }

    public void Dispose()
    {
        foreach (ClHandle h in _invFreq.Values)
        {
            h.Dispose();
        }

        if (_setup.IsValueCreated)
        {
            _setup.Value.Dispose();
        }
    }

    protected override bool AcceptsRowStrides(OpKind op) => op is OpKind.Gemm or OpKind.GroupedGemm or OpKind.Softmax or OpKind.RmsNorm
        or OpKind.Rope or OpKind.Silu or OpKind.SwiGlu or OpKind.Add or OpKind.Mul or OpKind.Cast;

    protected override string? WhyUnsupported(OpArgs args)
    {
        if (base.WhyUnsupported(args) is { } why)
        {
            return why;
        }

        // The GEMM kernels take leading dimensions as int.
        return args is GemmArgs { LdA: > int.MaxValue } or GemmArgs { LdB: > int.MaxValue } or GemmArgs { LdC: > int.MaxValue } or
            GroupedGemmArgs { LdA: > int.MaxValue } or GroupedGemmArgs { LdC: > int.MaxValue }
            ? "the OpenCL GEMM kernels take row strides up to int.MaxValue elements"
            : null;
    }

    protected override void SiluCore(OpenCLStream stream, UnaryArgs a)
    {
        if (!a.Contiguous)
        {
            Run(stream, "elementwise", Io(a.X.DType, a.Y.DType), "silu_strided", [Groups(a.Count, 8, Linear)], [(nuint)Linear],
                [.. Strided(a.X), .. Strided(a.Y), a.Count]);
            return;
        }

        Run(stream, "elementwise", Io(a.X.DType, a.Y.DType), "silu", [Groups(a.Count, 8, Linear)], [(nuint)Linear],
            KArg.Mem(a.X), a.X.Offset, KArg.Mem(a.Y), a.Y.Offset, a.Count);
    }

    protected override void SwiGluCore(OpenCLStream stream, SwiGluArgs a)
    {
        if (!a.Contiguous)
        {
            Run(stream, "elementwise", Io(a.Gate.DType, a.Y.DType), "swiglu_strided", [Groups(a.Count, 8, Linear)], [(nuint)Linear],
                [.. Strided(a.Gate), .. Strided(a.Up), .. Strided(a.Y), a.Count]);
            return;
        }

        Run(stream, "elementwise", Io(a.Gate.DType, a.Y.DType), "swiglu", [Groups(a.Count, 8, Linear)], [(nuint)Linear],
            KArg.Mem(a.Gate), a.Gate.Offset, KArg.Mem(a.Up), a.Up.Offset, KArg.Mem(a.Y), a.Y.Offset, a.Count);
    }

    protected override void AddCore(OpenCLStream stream, BinaryArgs a) => Binary(stream, "add", a);

    protected override void MulCore(OpenCLStream stream, BinaryArgs a) => Binary(stream, "mul", a);

    protected override void CastCore(OpenCLStream stream, CastArgs a)
    {
        if (!a.Contiguous)
        {
            Run(stream, "elementwise", Io(a.X.DType, a.Y.DType), "cast_strided", [Groups(a.Count, 4, Linear)], [(nuint)Linear],
                [.. Strided(a.X), .. Strided(a.Y), a.Count]);
            return;
        }

        Run(stream, "elementwise", Io(a.X.DType, a.Y.DType), "cast", [Groups(a.Count, 8, Linear)], [(nuint)Linear],
            KArg.Mem(a.X), a.X.Offset, KArg.Mem(a.Y), a.Y.Offset, a.Count);
    }

    protected override void SoftmaxCore(OpenCLStream stream, SoftmaxArgs a)
    {
        string options = Io(a.X.DType, a.Y.DType) + Def("WG", RowGroup);
        (long xl, long xs) = RowMap(a.X, a.Cols);
        (long yl, long ys) = RowMap(a.Y, a.Cols);
        if (PerRowReductions)
        {
            Run(stream, "norm", options, "softmax_rows", [Groups(a.Rows, 1, 8)], [8],
                KArg.Mem(a.X), a.X.Offset, KArg.Mem(a.Y), a.Y.Offset, xl, xs, yl, ys, a.Rows, a.Cols, a.QueryRows, a.Scale, a.Causal ? 1 : 0);
        }
        else
        {
            Run(stream, "norm", options, "softmax", [(nuint)(a.Rows * RowGroup)], [(nuint)RowGroup],
                KArg.Mem(a.X), a.X.Offset, KArg.Mem(a.Y), a.Y.Offset, xl, xs, yl, ys, a.Cols, a.QueryRows, a.Scale, a.Causal ? 1 : 0);
        }
    }

    protected override void RmsNormCore(OpenCLStream stream, RmsNormArgs a)
    {
        string options = Io(a.X.DType, a.Y.DType) + Def("WG", RowGroup);
        (long xl, long xs) = RowMap(a.X, a.Cols);
        (long yl, long ys) = RowMap(a.Y, a.Cols);
        if (PerRowReductions)
        {
            Run(stream, "norm", options, "rmsnorm_rows", [Groups(a.Rows, 1, 8)], [8],
                KArg.Mem(a.X), a.X.Offset, KArg.Mem(a.Gamma), a.Gamma.Offset, KArg.Mem(a.Y), a.Y.Offset, xl, xs, yl, ys, a.Rows, a.Cols, a.Eps);
        }
        else
        {
            Run(stream, "norm", options, "rmsnorm", [(nuint)(a.Rows * RowGroup)], [(nuint)RowGroup],
                KArg.Mem(a.X), a.X.Offset, KArg.Mem(a.Gamma), a.Gamma.Offset, KArg.Mem(a.Y), a.Y.Offset, xl, xs, yl, ys, a.Cols, a.Eps);
        }
    }

    protected override void RopeCore(OpenCLStream stream, RopeArgs a)
    {
        ClHandle freq = InverseFrequencies(a.Theta, a.RotaryDims);
        int work = (a.RotaryDims / 2) + (a.HeadDim - a.RotaryDims);
        Run(stream, "rope", Io(a.X.DType, a.Y.DType), "rope", [(nuint)work, (nuint)a.Tokens], [],
            KArg.Mem(a.X), a.X.Offset, KArg.Mem(a.Positions), a.Positions.Offset, KArg.Mem(freq),
            KArg.Mem(a.Y), a.Y.Offset, a.X.RowStride, a.Y.RowStride, a.Heads, a.HeadDim, a.RotaryDims, a.Layout == RopeLayout.Interleaved ? 1 : 0);
    }

    /// <summary>Expert counts up to this keep the router's per-token arrays in private memory (built per count); above, in scratch memory.</summary>
    internal const int PrivateGatingExperts = 1024;

    /// <summary>Most scratch bytes one launch of the large-expert router uses; more tokens take more launches.</summary>
    private const long GatingScratchBytes = 64L << 20;

    protected override void TopKGatingCore(OpenCLStream stream, GatingArgs a)
    {
        GatingOptions o = a.Options;
        TensorView bias = a.Bias ?? a.Logits; // a valid buffer when there is none; has_bias = 0 keeps it unread
        KArg[] Args(int t0, int end, KArg work, long stride) =>
        [
            KArg.Mem(a.Logits), a.Logits.Offset, KArg.Mem(bias), a.Bias?.Offset ?? 0L, a.Bias is null ? 0 : 1,
            KArg.Mem(a.Weights), a.Weights.Offset, KArg.Mem(a.Ids), a.Ids.Offset,
            end, a.K, o.Score == GatingScore.Sigmoid ? 1 : 0, o.Groups, o.TopKGroups, o.EffectiveRenormalize ? 1 : 0, o.RoutedScale,
            a.Experts, t0, work, stride,
        ];

        if (a.Experts <= PrivateGatingExperts)
        {
            Run(stream, "moe", Def("NE", a.Experts), "topk_gating", [Groups(a.Tokens, 1, Linear)], [(nuint)Linear], Args(0, a.Tokens, KArg.Mem(a.Logits), 0));
            return;
        }

        // s, key, group scores (3·E floats) and two flag arrays (2·E bytes) per token, rounded to 4 bytes.
        long stride = (12L * a.Experts) + ((2L * a.Experts + 3) & ~3L);
        int perLaunch = (int)Math.Clamp(GatingScratchBytes / stride, 1, a.Tokens);
        using ScratchBuffer work = Owner.Scratch.Rent(stream, DType.U8, perLaunch * stride);
        for (int t0 = 0; t0 < a.Tokens; t0 += perLaunch)
        {
            int n = Math.Min(perLaunch, a.Tokens - t0);
            Run(stream, "moe", " -DLARGE_NE", "topk_gating", [Groups(n, 1, 16)], [16], Args(t0, t0 + n, KArg.Mem(work.View), stride));
        }
    }

    protected override void MoePermuteCore(OpenCLStream stream, PermuteArgs a)
    {
        int choices = a.T * a.K;
        using ScratchBuffer next = Owner.Scratch.Rent(stream, DType.I32, Math.Max(a.Experts, 1));
        Run(stream, "moe", string.Empty, "moe_permute_index", [1], [1],
            KArg.Mem(a.Ids), a.Ids.Offset, choices, a.K, a.Experts, KArg.Mem(a.ExpertOffsets), a.ExpertOffsets.Offset,
            KArg.Mem(a.SlotOf), a.SlotOf.Offset, KArg.Mem(a.RowSource), a.RowSource.Offset, KArg.Mem(next.View));
        if ((long)choices * a.H > 0)
        {
            Run(stream, "moe", Io(a.Tokens.DType, a.Permuted.DType), "moe_permute_gather", [Groups(a.H, 256, 1), (nuint)choices], [],
                KArg.Mem(a.Tokens), a.Tokens.Offset, KArg.Mem(a.Permuted), a.Permuted.Offset, KArg.Mem(a.RowSource), a.RowSource.Offset, a.H);
        }
    }

    protected override void MoeUnpermuteCore(OpenCLStream stream, UnpermuteArgs a) =>
        Run(stream, "moe", Io(a.ExpertOutput.DType, a.Output.DType), "moe_unpermute", [Groups(a.H, 8, 1), (nuint)a.T], [],
            KArg.Mem(a.ExpertOutput), a.ExpertOutput.Offset, KArg.Mem(a.SlotOf), a.SlotOf.Offset, KArg.Mem(a.Weights), a.Weights.Offset,
            KArg.Mem(a.Output), a.Output.Offset, a.H, a.K, a.Rows);

    private static string Def(string name, int value) => string.Create(CultureInfo.InvariantCulture, $" -D{name}={value}");

    private static string Io(DType input, DType output) => Def("IN_DT", Code(input)) + Def("OUT_DT", Code(output));

    private static int Code(DType t) => t switch
    {
        DType.F32 => 0,
        DType.F16 => 1,
        DType.BF16 => 2,
        _ => throw new NotSupportedException($"No OpenCL storage for {t}."),
    };

    /// <summary>Work-items needed to cover <paramref name="count"/> elements at <paramref name="perItem"/> each, rounded up to the group size.</summary>
    private static nuint Groups(long count, int perItem, int group)
    {
        long items = (count + perItem - 1) / perItem;
        return (nuint)(((items + group - 1) / group) * group);
    }

    /// <summary>(row length, row stride) of a view as view_at takes them, for a row op over rows of <paramref name="cols"/>.</summary>
    private static (long Length, long Stride) RowMap(TensorView v, int cols) => v.IsContiguous ? (cols, cols) : (v.RowLength, v.RowStride);

    /// <summary>The four arguments of a strided operand: memory, offset, row length, row stride.</summary>
    private static KArg[] Strided(TensorView v) =>
        v.IsContiguous ? [KArg.Mem(v), v.Offset, Math.Max(v.ElementCount, 1), Math.Max(v.ElementCount, 1)] : [KArg.Mem(v), v.Offset, v.RowLength, v.RowStride];

    private void Binary(OpenCLStream stream, string name, BinaryArgs a)
    {
        if (!a.Contiguous)
        {
            Run(stream, "elementwise", Io(a.A.DType, a.Y.DType), name + "_strided", [Groups(a.Count, 4, Linear)], [(nuint)Linear],
                [.. Strided(a.A), .. Strided(a.B), a.BCount, .. Strided(a.Y), a.Count]);
            return;
        }

        // a is viewed as [Count / BCount, BCount] and b as one row of BCount repeated (row stride 0); without broadcast
        // that is a single row of Count elements.
        long cols = a.BCount, rows = a.Count / a.BCount;
        const long bstride = 0;
        Run(stream, "elementwise", Io(a.A.DType, a.Y.DType), name, [Groups(cols, 8, 1), (nuint)rows], [],
            KArg.Mem(a.A), a.A.Offset, KArg.Mem(a.B), a.B.Offset, bstride, KArg.Mem(a.Y), a.Y.Offset, cols);
    }

    /// <summary>Gets (building on first use) a kernel and enqueues it with its arguments.</summary>
    private void Run(OpenCLStream stream, string family, string options, string kernel, nuint[] global, nuint[] local, params KArg[] args)
    {
        KernelSlot slot = _device.Kernel(family, options.Trim(), kernel);
        slot.Launch(stream, global, local, args);
    }

    /// <summary>Scratch device memory for one launch: released at once, kept alive by the queued commands that use it.</summary>
    private ClHandle TempMemory(long bytes)
    {
        int rc;
        nint mem = ClApi.Api.CreateBuffer(_device.Context.Value, (Silk.NET.OpenCL.MemFlags)ClConst.CL_MEM_READ_WRITE, (nuint)Math.Max(bytes, 4), null, &rc);
        ClApi.Check(rc, _device.Id, "clCreateBuffer(scratch)");
        return new ClHandle(mem, ClHandle.ClKind.Mem);
    }

    /// <summary>The F32 inverse frequencies of a (θ, rotary dims) pair, computed on the host once and kept on the device.</summary>
    private ClHandle InverseFrequencies(float theta, int rot)
    {
        if (_invFreq.Count >= MaxFrequencyTables && !_invFreq.ContainsKey((theta, rot)))
        {
            // Bounded: a process that sweeps θ must not grow device memory without end. Queued launches keep their
            // tables alive (OpenCL reference counts), so releasing them here is safe.
            foreach ((float, int) key in _invFreq.Keys)
            {
                if (_invFreq.TryRemove(key, out ClHandle? old))
                {
                    old.Dispose();
                }
            }
        }

        return _invFreq.GetOrAdd((theta, rot), key =>
        {
            int half = Math.Max(key.Rot / 2, 1);
            var values = new float[half];
            for (int p = 0; p < key.Rot / 2; p++)
            {
                values[p] = OpContracts.RopeInverseFrequency(key.Theta, p, key.Rot);
            }

            ClHandle mem = TempMemory(half * sizeof(float));
            OpenCLStream s = _setup.Value;
            lock (s)
            {
                fixed (float* p = values)
                {
                    ClApi.Check(ClApi.Api.EnqueueWriteBuffer(s.Queue.Value, mem.Value, true, 0, (nuint)(half * sizeof(float)), p, 0, null, null), _device.Id);
                }
            }

            return mem;
        });
    }
}
