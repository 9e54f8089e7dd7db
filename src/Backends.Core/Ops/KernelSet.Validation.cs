using System;
using System.Linq;

namespace Backends;

/// <content>Argument validation shared by every backend: everything is checked before a launch.</content>
public abstract partial class KernelSet
{
    private GemmArgs ValidateGemm(DeviceStream stream, TensorView a, TensorView b, TensorView c, GemmOptions o)
    {
        const string op = nameof(Gemm);
        CheckStream(stream);
        CheckViews(stream, (a, nameof(a)), (b, nameof(b)), (c, nameof(c)));
        RequireSupported(OpKind.Gemm, a.DType);
        RequireDType(op, b, a.DType, nameof(b));
        if (c.DType != DType.F32 && c.DType != a.DType)
        {
            throw new ArgumentException($"{op}: c must be f32 or {a.DType.ToShortName()} (the dtype of a) but is {c}.", nameof(c));
        }

        RequireRank(op, a, nameof(a), 2, 3);
        RequireRank(op, b, nameof(b), 2, 3);
        RequireRank(op, c, nameof(c), 2, 3);
        int batch = c.Rank == 3 ? c.Dim(0) : 1;
        int m = c.Dim(-2), n = c.Dim(-1);
        int k = o.TransA ? a.Dim(-2) : a.Dim(-1);
        int am = o.TransA ? a.Dim(-1) : a.Dim(-2);
        if (am != m)
        {
            throw new ArgumentException($"{op}: a is {a} (TransA={o.TransA}) giving M={am}, but c is {c} with M={m}.", nameof(a));
        }

        int bk = o.TransB ? b.Dim(-1) : b.Dim(-2);
        int bn = o.TransB ? b.Dim(-2) : b.Dim(-1);
        if (bk != k || bn != n)
        {
            throw new ArgumentException(
                $"{op}: b must be {(o.TransB ? $"[N,K] = [{n},{k}]" : $"[K,N] = [{k},{n}]")} (TransB={o.TransB}) but is {b}.", nameof(b));
        }

        long strideA = BatchStride(op, a, nameof(a), batch);
        long strideB = BatchStride(op, b, nameof(b), batch);
        RequireDisjoint(op, c, nameof(c), (a, nameof(a)), (b, nameof(b)));
        return new GemmArgs(a, b, c, batch, m, n, k, o.TransA, o.TransB, o.Alpha, o.Beta, strideA, strideB);
    }

    private GroupedGemmArgs ValidateGroupedGemm(DeviceStream stream, TensorView a, TensorView weights, TensorView expertOffsets, TensorView c, GroupedGemmOptions o)
    {
        TensorView w = weights, offsets = expertOffsets;
                const string op = nameof(GroupedGemm);
        CheckStream(stream);
        CheckViews(stream, (a, nameof(a)), (w, nameof(weights)), (offsets, nameof(expertOffsets)), (c, nameof(c)));
        RequireSupported(OpKind.GroupedGemm, a.DType);
        RequireDType(op, w, a.DType, nameof(weights));
        RequireDType(op, offsets, DType.I32, nameof(expertOffsets));
        if (c.DType != DType.F32 && c.DType != a.DType)
        {
            throw new ArgumentException($"{op}: c must be f32 or {a.DType.ToShortName()} but is {c}.", nameof(c));
        }

        RequireRank(op, a, nameof(a), 2, 2);
        RequireRank(op, w, nameof(weights), 3, 3);
        RequireRank(op, offsets, nameof(expertOffsets), 1, 1);
        RequireRank(op, c, nameof(c), 2, 2);
        int rows = a.Dim(0), k = a.Dim(1);
        int experts = w.Dim(0);
        int n = o.TransB ? w.Dim(1) : w.Dim(2);
        int wk = o.TransB ? w.Dim(2) : w.Dim(1);
        if (wk != k)
        {
            throw new ArgumentException($"{op}: weights must be {(o.TransB ? $"[E,N,K] with K={k}" : $"[E,K,N] with K={k}")} (TransB={o.TransB}) but are {w}.", nameof(weights));
        }

        if (offsets.Dim(0) != experts + 1)
        {
            throw new ArgumentException($"{op}: expertOffsets must be [E+1] = [{experts + 1}] but is {offsets}.", nameof(expertOffsets));
        }

        RequireShape(op, c, nameof(c), rows, n);
        RequireDisjoint(op, c, nameof(c), (a, nameof(a)), (w, nameof(weights)), (offsets, nameof(expertOffsets)));
        return new GroupedGemmArgs(a, w, offsets, c, rows, n, k, experts, o.TransB);
    }

    private SoftmaxArgs ValidateSoftmax(DeviceStream stream, TensorView x, TensorView y, SoftmaxOptions o)
    {
        const string op = nameof(Softmax);
        CheckStream(stream);
        CheckViews(stream, (x, nameof(x)), (y, nameof(y)));
        RequireSupported(OpKind.Softmax, x.DType);
        RequireRank(op, x, nameof(x), 1, int.MaxValue);
        RequireSameShapeAndType(op, y, nameof(y), x);
        RequireSameOrDisjoint(op, y, nameof(y), (x, nameof(x)));
        if (!float.IsFinite(o.Scale))
        {
            throw new ArgumentException($"{op}: scale must be finite but is {o.Scale}.", nameof(o));
        }

        int cols = x.Dim(-1);
        long rows = cols == 0 ? 0 : x.ElementCount / cols;
        int queryRows = x.Rank >= 2 ? x.Dim(-2) : 1;
        return new SoftmaxArgs(x, y, rows, cols, Math.Max(queryRows, 1), o.Scale, o.Causal);
    }

    private RmsNormArgs ValidateRmsNorm(DeviceStream stream, TensorView x, TensorView gamma, TensorView y, float eps)
    {
        const string op = nameof(RmsNorm);
        CheckStream(stream);
        CheckViews(stream, (x, nameof(x)), (gamma, nameof(gamma)), (y, nameof(y)));
        RequireSupported(OpKind.RmsNorm, x.DType);
        RequireRank(op, x, nameof(x), 1, int.MaxValue);
        RequireSameShapeAndType(op, y, nameof(y), x);
        RequireDType(op, gamma, x.DType, nameof(gamma));
        int cols = x.Dim(-1);
        RequireShape(op, gamma, nameof(gamma), cols);
        if (!(eps >= 0) || !float.IsFinite(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be finite and ≥ 0.");
        }

        RequireSameOrDisjoint(op, y, nameof(y), (x, nameof(x)));
        RequireDisjoint(op, y, nameof(y), (gamma, nameof(gamma)));
        long rows = cols == 0 ? 0 : x.ElementCount / cols;
        return new RmsNormArgs(x, gamma, y, rows, cols, eps);
    }

    private UnaryArgs ValidateUnary(DeviceStream stream, TensorView x, TensorView y)
    {
        const OpKind kind = OpKind.Silu;
        const string op = nameof(Silu);
        CheckStream(stream);
        CheckViews(stream, (x, nameof(x)), (y, nameof(y)));
        RequireSupported(kind, x.DType);
        RequireSameShapeAndType(op, y, nameof(y), x);
        RequireSameOrDisjoint(op, y, nameof(y), (x, nameof(x)));
        return new UnaryArgs(x, y, x.ElementCount);
    }

    private SwiGluArgs ValidateSwiGlu(DeviceStream stream, TensorView gate, TensorView up, TensorView y)
    {
        const string op = nameof(SwiGlu);
        CheckStream(stream);
        CheckViews(stream, (gate, nameof(gate)), (up, nameof(up)), (y, nameof(y)));
        RequireSupported(OpKind.SwiGlu, gate.DType);
        RequireSameShapeAndType(op, up, nameof(up), gate);
        RequireSameShapeAndType(op, y, nameof(y), gate);
        RequireSameOrDisjoint(op, y, nameof(y), (gate, nameof(gate)), (up, nameof(up)));
        return new SwiGluArgs(gate, up, y, gate.ElementCount);
    }

    private BinaryArgs ValidateBinary(OpKind kind, DeviceStream stream, TensorView a, TensorView b, TensorView y)
    {
        string op = kind.ToString();
        CheckStream(stream);
        CheckViews(stream, (a, nameof(a)), (b, nameof(b)), (y, nameof(y)));
        RequireSupported(kind, a.DType);
        RequireDType(op, b, a.DType, nameof(b));
        RequireSameShapeAndType(op, y, nameof(y), a);
        bool suffix = b.Rank <= a.Rank && b.Shape.SequenceEqual(a.Shape.Skip(a.Rank - b.Rank));
        if (!suffix || (b.ElementCount == 0 && a.ElementCount > 0))
        {
            throw new ArgumentException(
                $"{op}: b's shape must equal a trailing part of a's shape {a.ShapeText()} (e.g. [{a.Dim(-1)}] for row broadcast) but b is {b}.", nameof(b));
        }

        RequireSameOrDisjoint(op, y, nameof(y), (a, nameof(a)));
        if (b.IsSameAs(a) || !y.Overlaps(b) || y.IsSameAs(b))
        {
            return new BinaryArgs(kind, a, b, y, a.ElementCount, b.ElementCount);
        }

        throw new ArgumentException($"{op}: y ({y}) partly overlaps b ({b}); only an identical in-place view is allowed.", nameof(y));
    }

    private RopeArgs ValidateRope(DeviceStream stream, TensorView x, TensorView positions, TensorView y, RopeOptions o)
    {
        const string op = nameof(Rope);
        ArgumentNullException.ThrowIfNull(o);
        if (!Enum.IsDefined(o.Layout))
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.Layout, $"{op}: Layout must be one of {string.Join(", ", Enum.GetNames<RopeLayout>())}.");
        }

        CheckStream(stream);
        CheckViews(stream, (x, nameof(x)), (positions, nameof(positions)), (y, nameof(y)));
        RequireSupported(OpKind.Rope, x.DType);
        RequireRank(op, x, nameof(x), 2, 3);
        RequireSameShapeAndType(op, y, nameof(y), x);
        RequireDType(op, positions, DType.I32, nameof(positions));
        int tokens = x.Dim(0);
        int heads = x.Rank == 3 ? x.Dim(1) : 1;
        int headDim = x.Dim(-1);
        RequireShape(op, positions, nameof(positions), tokens);
        int rotary = o.RotaryDims == 0 ? headDim : o.RotaryDims;
        if (rotary < 0 || rotary > headDim || rotary % 2 != 0)
        {
            throw new ArgumentException($"{op}: RotaryDims must be even and ≤ the head size {headDim} but is {o.RotaryDims}" +
                (o.RotaryDims == 0 ? " (0 means the head size, which is odd)." : "."), nameof(o));
        }

        if (!(o.Theta > 0) || !float.IsFinite(o.Theta))
        {
            throw new ArgumentException($"{op}: Theta must be finite and > 0 but is {o.Theta}.", nameof(o));
        }

        RequireSameOrDisjoint(op, y, nameof(y), (x, nameof(x)));
        RequireDisjoint(op, y, nameof(y), (positions, nameof(positions)));
        return new RopeArgs(x, positions, y, tokens, heads, headDim, rotary, o.Theta, o.Layout);
    }

    private GatingArgs ValidateGating(DeviceStream stream, TensorView logits, TensorView? bias, TensorView weights, TensorView ids, GatingOptions o)
    {
        const string op = nameof(TopKGating);
        ArgumentNullException.ThrowIfNull(o);
        if (!Enum.IsDefined(o.Score))
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.Score, $"{op}: Score must be one of {string.Join(", ", Enum.GetNames<GatingScore>())}.");
        }

        CheckStream(stream);
        CheckViews(stream, (logits, nameof(logits)), (weights, nameof(weights)), (ids, nameof(ids)));
        if (bias is not null)
        {
            CheckViews(stream, (bias, nameof(bias)));
        }

        RequireSupported(OpKind.TopKGating, logits.DType);
        RequireRank(op, logits, nameof(logits), 2, 2);
        int tokens = logits.Dim(0), experts = logits.Dim(1);
        if (experts < 1)
        {
            throw new ArgumentException($"{op}: logits need at least one expert but are {logits}.", nameof(logits));
        }

        if (o.Groups < 1 || experts % o.Groups != 0)
        {
            throw new ArgumentException($"{op}: Groups ({o.Groups}) must be ≥ 1 and divide the expert count {experts}.", nameof(o));
        }

        if (o.TopKGroups < 1 || o.TopKGroups > o.Groups)
        {
            throw new ArgumentException($"{op}: TopKGroups ({o.TopKGroups}) must lie in [1, Groups = {o.Groups}].", nameof(o));
        }

        int eligible = o.TopKGroups * (experts / o.Groups);
        if (o.TopK < 1 || o.TopK > eligible)
        {
            throw new ArgumentException($"{op}: TopK ({o.TopK}) must lie in [1, {eligible}] (the experts in the kept groups).", nameof(o));
        }

        if (bias is not null)
        {
            RequireDType(op, bias, DType.F32, nameof(bias));
            RequireShape(op, bias, nameof(bias), experts);
            if (o.Groups > 1 && experts / o.Groups < 2)
            {
                throw new ArgumentException($"{op}: with a bias, a group's score is the sum of its two best experts, so groups need ≥ 2 experts.", nameof(o));
            }
        }

        if (!float.IsFinite(o.RoutedScale))
        {
            throw new ArgumentException($"{op}: RoutedScale must be finite but is {o.RoutedScale}.", nameof(o));
        }

        RequireDType(op, weights, DType.F32, nameof(weights));
        RequireDType(op, ids, DType.I32, nameof(ids));
        RequireShape(op, weights, nameof(weights), tokens, o.TopK);
        RequireShape(op, ids, nameof(ids), tokens, o.TopK);
        RequireDisjoint(op, weights, nameof(weights), (logits, nameof(logits)), (ids, nameof(ids)));
        RequireDisjoint(op, ids, nameof(ids), (logits, nameof(logits)));
        if (bias is not null)
        {
            RequireDisjoint(op, weights, nameof(weights), (bias, nameof(bias)));
            RequireDisjoint(op, ids, nameof(ids), (bias, nameof(bias)));
        }

        return new GatingArgs(logits, bias, weights, ids, tokens, experts, o.TopK, o);
    }

    private PermuteArgs ValidatePermute(DeviceStream stream, TensorView tokens, TensorView ids, TensorView permuted, TensorView rowSource, TensorView slotOf, TensorView expertOffsets)
    {
        TensorView offsets = expertOffsets;
        const string op = nameof(MoePermute);
        CheckStream(stream);
        CheckViews(stream, (tokens, nameof(tokens)), (ids, nameof(ids)), (permuted, nameof(permuted)),
            (rowSource, nameof(rowSource)), (slotOf, nameof(slotOf)), (offsets, nameof(expertOffsets)));
        RequireSupported(OpKind.MoePermute, tokens.DType);
        RequireRank(op, tokens, nameof(tokens), 2, 2);
        RequireRank(op, ids, nameof(ids), 2, 2);
        RequireDType(op, ids, DType.I32, nameof(ids));
        RequireDType(op, permuted, tokens.DType, nameof(permuted));
        RequireDType(op, rowSource, DType.I32, nameof(rowSource));
        RequireDType(op, slotOf, DType.I32, nameof(slotOf));
        RequireDType(op, offsets, DType.I32, nameof(expertOffsets));
        int t = tokens.Dim(0), h = tokens.Dim(1);
        if (ids.Dim(0) != t)
        {
            throw new ArgumentException($"{op}: ids must be [T,k] with T = {t} but are {ids}.", nameof(ids));
        }

        int k = ids.Dim(1);
        long choices = (long)t * k;
        if (choices > int.MaxValue)
        {
            throw new ArgumentException($"{op}: T·k = {t}·{k} = {choices} permuted rows exceed int.MaxValue; split the tokens into smaller batches.", nameof(ids));
        }

        RequireShape(op, permuted, nameof(permuted), (int)choices, h);
        RequireShape(op, rowSource, nameof(rowSource), (int)choices);
        RequireShape(op, slotOf, nameof(slotOf), t, k);
        RequireRank(op, offsets, nameof(expertOffsets), 1, 1);
        if (offsets.Dim(0) < 2)
        {
            throw new ArgumentException($"{op}: expertOffsets must be [E+1] with E ≥ 1 but is {offsets}.", nameof(expertOffsets));
        }

        (TensorView, string)[] inputs = [(tokens, nameof(tokens)), (ids, nameof(ids))];
        RequireDisjoint(op, permuted, nameof(permuted), [.. inputs, (rowSource, nameof(rowSource)), (slotOf, nameof(slotOf)), (offsets, nameof(expertOffsets))]);
        RequireDisjoint(op, rowSource, nameof(rowSource), [.. inputs, (slotOf, nameof(slotOf)), (offsets, nameof(expertOffsets))]);
        RequireDisjoint(op, slotOf, nameof(slotOf), [.. inputs, (offsets, nameof(expertOffsets))]);
        RequireDisjoint(op, offsets, nameof(expertOffsets), inputs);
        return new PermuteArgs(tokens, ids, permuted, rowSource, slotOf, offsets, t, h, k, offsets.Dim(0) - 1);
    }

    private UnpermuteArgs ValidateUnpermute(DeviceStream stream, TensorView expertOutput, TensorView slotOf, TensorView weights, TensorView output)
    {
        const string op = nameof(MoeUnpermute);
        CheckStream(stream);
        CheckViews(stream, (expertOutput, nameof(expertOutput)), (slotOf, nameof(slotOf)), (weights, nameof(weights)), (output, nameof(output)));
        RequireSupported(OpKind.MoeUnpermute, expertOutput.DType);
        RequireRank(op, expertOutput, nameof(expertOutput), 2, 2);
        RequireRank(op, slotOf, nameof(slotOf), 2, 2);
        RequireDType(op, slotOf, DType.I32, nameof(slotOf));
        RequireDType(op, weights, DType.F32, nameof(weights));
        RequireDType(op, output, expertOutput.DType, nameof(output));
        int t = slotOf.Dim(0), k = slotOf.Dim(1), h = expertOutput.Dim(1);
        RequireShape(op, weights, nameof(weights), t, k);
        RequireShape(op, output, nameof(output), t, h);
        RequireDisjoint(op, output, nameof(output), (expertOutput, nameof(expertOutput)), (slotOf, nameof(slotOf)), (weights, nameof(weights)));
        return new UnpermuteArgs(expertOutput, slotOf, weights, output, t, h, k, expertOutput.Dim(0));
    }

    private CastArgs ValidateCast(DeviceStream stream, TensorView x, TensorView y)
    {
        const string op = nameof(Cast);
        CheckStream(stream);
        CheckViews(stream, (x, nameof(x)), (y, nameof(y)));
        RequireSupported(OpKind.Cast, x.DType);
        if (!y.DType.IsFloatingPoint() || !Supports(OpKind.Cast, y.DType))
        {
            throw new UnsupportedOpException(Device.Id, OpKind.Cast, y.DType, "the target dtype must be f32, f16 or bf16");
        }

        if (!x.Shape.SequenceEqual(y.Shape))
        {
            throw new ArgumentException($"{op}: y must have x's shape {x.ShapeText()} but is {y}.", nameof(y));
        }

        RequireDisjoint(op, y, nameof(y), (x, nameof(x)));
        return new CastArgs(x, y, x.ElementCount);
    }
}
