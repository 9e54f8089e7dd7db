using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Tests;

/// <summary>
/// Bad inputs for every op: wrong dtype, shape, length, device, disposed objects, forbidden aliasing, bad options.
/// Each builds a call and names the outputs that must be left untouched.
/// </summary>
internal static class BadInputCases
{
    private const DType F = DType.F32;
    private const DType H = DType.F16;
    private const DType I = DType.I32;

    public sealed record Case(string Name, Type Expected, Func<BadInputEnv, (Action Call, TensorView[] Outputs)> Make);

    public static IReadOnlyList<Case> All { get; } = Build();

    public static Case Get(string name) => All.First(c => c.Name == name);

    private static IReadOnlyList<Case> Build()
    {
        var list = new List<Case>();
        void Add(string name, Type expected, Func<BadInputEnv, (Action, TensorView[])> make) => list.Add(new Case(name, expected, make));
        Type arg = typeof(ArgumentException), unsupported = typeof(UnsupportedOpException), mismatch = typeof(DeviceMismatchException), disposed = typeof(ObjectDisposedException);

        // Gemm
        Add("gemm/b-dtype", arg, e => { var c = e.Out(F, 4, 5); return (() => e.K.Gemm(e.S, e.T(F, 4, 3), e.T(H, 3, 5), c), [c]); });
        Add("gemm/k-mismatch", arg, e => { var c = e.Out(F, 4, 5); return (() => e.K.Gemm(e.S, e.T(F, 4, 3), e.T(F, 2, 5), c), [c]); });
        Add("gemm/m-mismatch", arg, e => { var c = e.Out(F, 4, 5); return (() => e.K.Gemm(e.S, e.T(F, 3, 3), e.T(F, 3, 5), c), [c]); });
        Add("gemm/transb-shape", arg, e => { var c = e.Out(F, 4, 5); return (() => e.K.Gemm(e.S, e.T(F, 4, 3), e.T(F, 3, 5), c, new GemmOptions { TransB = true }), [c]); });
        Add("gemm/c-int", arg, e => { var c = e.Out(I, 4, 5); return (() => e.K.Gemm(e.S, e.T(F, 4, 3), e.T(F, 3, 5), c), [c]); });
        Add("gemm/int-inputs", unsupported, e => { var c = e.Out(F, 4, 5); return (() => e.K.Gemm(e.S, e.T(I, 4, 3), e.T(I, 3, 5), c), [c]); });
        Add("gemm/rank1", arg, e => { var c = e.Out(F, 4, 5); return (() => e.K.Gemm(e.S, e.T(F, 12), e.T(F, 3, 5), c), [c]); });
        Add("gemm/batch-mismatch", arg, e => { var c = e.Out(F, 2, 4, 5); return (() => e.K.Gemm(e.S, e.T(F, 3, 4, 3), e.T(F, 3, 5), c), [c]); });
        Add("gemm/c-overlaps-a", arg, e =>
        {
            TensorView buf = e.T(F, 40);
            TensorView a = buf.Slice(0, 12).Reshape(4, 3), c = buf.Slice(10, 20).Reshape(4, 5);
            return (() => e.K.Gemm(e.S, a, e.T(F, 3, 5), c), []);
        });
        Add("gemm/foreign-b", mismatch, e => { var c = e.Out(F, 4, 5); return (() => e.K.Gemm(e.S, e.T(F, 4, 3), e.Foreign(F, 3, 5), c), [c]); });
        Add("gemm/foreign-stream", mismatch, e =>
        {
            var c = e.Out(F, 4, 5);
            DeviceStream other = e.Other.CreateStream();
            return (() => e.K.Gemm(other, e.T(F, 4, 3), e.T(F, 3, 5), c), [c]);
        });
        Add("gemm/disposed-a", disposed, e =>
        {
            var c = e.Out(F, 4, 5);
            TensorView a = e.T(F, 4, 3);
            a.Buffer.Dispose();
            return (() => e.K.Gemm(e.S, a, e.T(F, 3, 5), c), [c]);
        });
        Add("gemm/disposed-stream", disposed, e =>
        {
            var c = e.Out(F, 4, 5);
            DeviceStream s = e.D.CreateStream();
            s.Dispose();
            return (() => e.K.Gemm(s, e.T(F, 4, 3), e.T(F, 3, 5), c), [c]);
        });
        Add("gemm/null-a", typeof(ArgumentNullException), e => { var c = e.Out(F, 4, 5); return (() => e.K.Gemm(e.S, null!, e.T(F, 3, 5), c), [c]); });

        // GroupedGemm
        Add("grouped-gemm/offsets-f32", arg, e => { var c = e.Out(F, 6, 5); return (() => e.K.GroupedGemm(e.S, e.T(F, 6, 3), e.T(F, 2, 5, 3), e.T(F, 3), c), [c]); });
        Add("grouped-gemm/offsets-length", arg, e => { var c = e.Out(F, 6, 5); return (() => e.K.GroupedGemm(e.S, e.T(F, 6, 3), e.T(F, 2, 5, 3), e.T(I, 2), c), [c]); });
        Add("grouped-gemm/k-mismatch", arg, e => { var c = e.Out(F, 6, 5); return (() => e.K.GroupedGemm(e.S, e.T(F, 6, 3), e.T(F, 2, 5, 4), e.T(I, 3), c), [c]); });
        Add("grouped-gemm/c-rows", arg, e => { var c = e.Out(F, 5, 5); return (() => e.K.GroupedGemm(e.S, e.T(F, 6, 3), e.T(F, 2, 5, 3), e.T(I, 3), c), [c]); });
        Add("grouped-gemm/weights-rank2", arg, e => { var c = e.Out(F, 6, 5); return (() => e.K.GroupedGemm(e.S, e.T(F, 6, 3), e.T(F, 5, 3), e.T(I, 3), c), [c]); });

        // Softmax
        Add("softmax/y-shape", arg, e => { var y = e.Out(F, 3, 6); return (() => e.K.Softmax(e.S, e.T(F, 3, 5), y), [y]); });
        Add("softmax/y-dtype", arg, e => { var y = e.Out(H, 3, 5); return (() => e.K.Softmax(e.S, e.T(F, 3, 5), y), [y]); });
        Add("softmax/int", unsupported, e => { var y = e.Out(I, 3, 5); return (() => e.K.Softmax(e.S, e.T(I, 3, 5), y), [y]); });
        Add("softmax/scale-nan", arg, e => { var y = e.Out(F, 3, 5); return (() => e.K.Softmax(e.S, e.T(F, 3, 5), y, new SoftmaxOptions { Scale = float.NaN }), [y]); });
        Add("softmax/partial-overlap", arg, e =>
        {
            TensorView buf = e.T(F, 20);
            return (() => e.K.Softmax(e.S, buf.Slice(0, 15).Reshape(3, 5), buf.Slice(5, 15).Reshape(3, 5)), []);
        });

        // RmsNorm
        Add("rmsnorm/gamma-length", arg, e => { var y = e.Out(F, 3, 5); return (() => e.K.RmsNorm(e.S, e.T(F, 3, 5), e.T(F, 4), y), [y]); });
        Add("rmsnorm/gamma-dtype", arg, e => { var y = e.Out(F, 3, 5); return (() => e.K.RmsNorm(e.S, e.T(F, 3, 5), e.T(H, 5), y), [y]); });
        Add("rmsnorm/eps-negative", typeof(ArgumentOutOfRangeException), e => { var y = e.Out(F, 3, 5); return (() => e.K.RmsNorm(e.S, e.T(F, 3, 5), e.T(F, 5), y, -1f), [y]); });
        Add("rmsnorm/y-overlaps-gamma", arg, e =>
        {
            TensorView buf = e.T(F, 20);
            return (() => e.K.RmsNorm(e.S, e.T(F, 3, 5), buf.Slice(0, 5), buf.Slice(3, 15).Reshape(3, 5)), []);
        });

        // Silu / SwiGlu
        Add("silu/y-shape", arg, e => { var y = e.Out(F, 10); return (() => e.K.Silu(e.S, e.T(F, 2, 5), y), [y]); });
        Add("silu/foreign-y", mismatch, e => { TensorView y = e.Foreign(F, 2, 5); return (() => e.K.Silu(e.S, e.T(F, 2, 5), y), []); });
        Add("swiglu/up-shape", arg, e => { var y = e.Out(F, 2, 5); return (() => e.K.SwiGlu(e.S, e.T(F, 2, 5), e.T(F, 5, 2), y), [y]); });
        Add("swiglu/up-dtype", arg, e => { var y = e.Out(F, 2, 5); return (() => e.K.SwiGlu(e.S, e.T(F, 2, 5), e.T(H, 2, 5), y), [y]); });

        // Add / Mul
        Add("add/b-not-suffix", arg, e => { var y = e.Out(F, 3, 5); return (() => e.K.Add(e.S, e.T(F, 3, 5), e.T(F, 3), y), [y]); });
        Add("add/b-dtype", arg, e => { var y = e.Out(F, 3, 5); return (() => e.K.Add(e.S, e.T(F, 3, 5), e.T(H, 5), y), [y]); });
        Add("add/b-longer", arg, e => { var y = e.Out(F, 5); return (() => e.K.Add(e.S, e.T(F, 5), e.T(F, 2, 5), y), [y]); });
        Add("mul/y-shape", arg, e => { var y = e.Out(F, 15); return (() => e.K.Mul(e.S, e.T(F, 3, 5), e.T(F, 5), y), [y]); });
        Add("mul/y-overlaps-b", arg, e =>
        {
            TensorView buf = e.T(F, 30);
            return (() => e.K.Mul(e.S, e.T(F, 3, 5), buf.Slice(0, 5), buf.Slice(2, 15).Reshape(3, 5)), []);
        });

        // Rope
        Add("rope/odd-head", arg, e => { var y = e.Out(F, 2, 3, 5); return (() => e.K.Rope(e.S, e.T(F, 2, 3, 5), e.T(I, 2), y), [y]); });
        Add("rope/positions-length", arg, e => { var y = e.Out(F, 2, 3, 8); return (() => e.K.Rope(e.S, e.T(F, 2, 3, 8), e.T(I, 3), y), [y]); });
        Add("rope/positions-dtype", arg, e => { var y = e.Out(F, 2, 3, 8); return (() => e.K.Rope(e.S, e.T(F, 2, 3, 8), e.T(F, 2), y), [y]); });
        Add("rope/theta-zero", arg, e => { var y = e.Out(F, 2, 3, 8); return (() => e.K.Rope(e.S, e.T(F, 2, 3, 8), e.T(I, 2), y, new RopeOptions { Theta = 0 }), [y]); });
        Add("rope/rotary-too-big", arg, e => { var y = e.Out(F, 2, 3, 8); return (() => e.K.Rope(e.S, e.T(F, 2, 3, 8), e.T(I, 2), y, new RopeOptions { RotaryDims = 10 }), [y]); });
        Add("rope/rank4", arg, e => { var y = e.Out(F, 1, 2, 3, 8); return (() => e.K.Rope(e.S, e.T(F, 1, 2, 3, 8), e.T(I, 1), y), [y]); });

        // TopKGating
        (Action, TensorView[]) Gate(BadInputEnv e, int experts, int k, GatingOptions o, TensorView? bias = null, DType wt = F, DType it = I)
        {
            var w = e.Out(wt, 3, k);
            var ids = e.Out(it, 3, k);
            return (() => e.K.TopKGating(e.S, e.T(F, 3, experts), bias, w, ids, o), [w, ids]);
        }

        Add("topk-gating/k-too-big", arg, e => Gate(e, 8, 9, new GatingOptions { TopK = 9 }));
        Add("topk-gating/k-beyond-kept-groups", arg, e => Gate(e, 8, 5, new GatingOptions { TopK = 5, Groups = 4, TopKGroups = 2 }));
        Add("topk-gating/groups-not-dividing", arg, e => Gate(e, 8, 2, new GatingOptions { TopK = 2, Groups = 3, TopKGroups = 1 }));
        Add("topk-gating/kgroups-too-big", arg, e => Gate(e, 8, 2, new GatingOptions { TopK = 2, Groups = 2, TopKGroups = 3 }));
        Add("topk-gating/bias-length", arg, e => Gate(e, 8, 2, new GatingOptions { TopK = 2 }, e.T(F, 7)));
        Add("topk-gating/bias-group-of-one", arg, e => Gate(e, 8, 2, new GatingOptions { TopK = 2, Groups = 8, TopKGroups = 2 }, e.T(F, 8)));
        Add("topk-gating/weights-f16", arg, e => Gate(e, 8, 2, new GatingOptions { TopK = 2 }, wt: H));
        Add("topk-gating/ids-f32", arg, e => Gate(e, 8, 2, new GatingOptions { TopK = 2 }, it: F));
        Add("topk-gating/logits-f16", unsupported, e =>
        {
            var w = e.Out(F, 3, 2);
            var ids = e.Out(I, 3, 2);
            return (() => e.K.TopKGating(e.S, e.T(H, 3, 8), null, w, ids, new GatingOptions { TopK = 2 }), [w, ids]);
        });
        Add("topk-gating/weights-overlap-logits", arg, e =>
        {
            TensorView buf = e.T(F, 30);
            var ids = e.Out(I, 3, 2);
            return (() => e.K.TopKGating(e.S, buf.Slice(0, 24).Reshape(3, 8), null, buf.Slice(20, 6).Reshape(3, 2), ids, new GatingOptions { TopK = 2 }), [ids]);
        });

        // MoePermute
        (Action, TensorView[]) Perm(BadInputEnv e, TensorView ids, int permRows, int offsets, DType idsT = I)
        {
            var permuted = e.Out(F, permRows, 4);
            var src = e.Out(I, 6);
            var slot = e.Out(I, 3, 2);
            var off = e.Out(I, offsets);
            return (() => e.K.MoePermute(e.S, e.T(F, 3, 4), ids, permuted, src, slot, off), [permuted, src, slot, off]);
        }

        Add("moe-permute/ids-f32", arg, e => Perm(e, e.T(F, 3, 2), 6, 5));
        Add("moe-permute/permuted-rows", arg, e => Perm(e, e.T(I, 3, 2), 5, 5));
        Add("moe-permute/offsets-too-short", arg, e => Perm(e, e.T(I, 3, 2), 6, 1));
        Add("moe-permute/ids-tokens", arg, e => Perm(e, e.T(I, 2, 3), 6, 5));
        Add("moe-permute/slot-overlaps-source", arg, e =>
        {
            TensorView buf = e.Out(I, 12);
            var permuted = e.Out(F, 6, 4);
            var off = e.Out(I, 5);
            return (() => e.K.MoePermute(e.S, e.T(F, 3, 4), e.T(I, 3, 2), permuted, buf.Slice(0, 6), buf.Slice(3, 6).Reshape(3, 2), off), [permuted, off]);
        });

        // MoeUnpermute
        Add("moe-unpermute/weights-shape", arg, e => { var o = e.Out(F, 3, 4); return (() => e.K.MoeUnpermute(e.S, e.T(F, 6, 4), e.T(I, 3, 2), e.T(F, 3, 3), o), [o]); });
        Add("moe-unpermute/slot-f32", arg, e => { var o = e.Out(F, 3, 4); return (() => e.K.MoeUnpermute(e.S, e.T(F, 6, 4), e.T(F, 3, 2), e.T(F, 3, 2), o), [o]); });
        Add("moe-unpermute/output-dtype", arg, e => { var o = e.Out(H, 3, 4); return (() => e.K.MoeUnpermute(e.S, e.T(F, 6, 4), e.T(I, 3, 2), e.T(F, 3, 2), o), [o]); });
        Add("moe-unpermute/output-overlaps-input", arg, e =>
        {
            TensorView buf = e.T(F, 40);
            return (() => e.K.MoeUnpermute(e.S, buf.Slice(0, 24).Reshape(6, 4), e.T(I, 3, 2), e.T(F, 3, 2), buf.Slice(20, 12).Reshape(3, 4)), []);
        });

        // Cast
        Add("cast/to-int", unsupported, e => { var y = e.Out(I, 3, 5); return (() => e.K.Cast(e.S, e.T(F, 3, 5), y), [y]); });
        Add("cast/from-int", unsupported, e => { var y = e.Out(F, 3, 5); return (() => e.K.Cast(e.S, e.T(I, 3, 5), y), [y]); });
        Add("cast/shape", arg, e => { var y = e.Out(H, 5, 3); return (() => e.K.Cast(e.S, e.T(F, 3, 5), y), [y]); });
        Add("cast/overlap", arg, e =>
        {
            TensorView buf = e.T(H, 40);
            return (() => e.K.Cast(e.S, buf.Slice(0, 15), buf.Slice(10, 15)), []);
        });

        // Stream operations
        Add("stream/write-length", arg, e => { var y = e.Out(F, 4); return (() => e.S.Write<float>(y, new float[3]), [y]); });
        Add("stream/write-type", arg, e => { var y = e.Out(F, 4); return (() => e.S.Write<int>(y, new int[4]), [y]); });
        Add("stream/copy-dtype", arg, e => { var y = e.Out(H, 4); return (() => e.S.Copy(e.T(F, 4), y), [y]); });
        Add("stream/copy-count", arg, e => { var y = e.Out(F, 5); return (() => e.S.Copy(e.T(F, 4), y), [y]); });
        Add("stream/fill-type", arg, e => { var y = e.Out(F, 4); return (() => e.S.Fill(y, 1.0), [y]); });
        Add("stream/foreign-write", mismatch, e => { TensorView y = e.Foreign(F, 4); return (() => e.S.Write<float>(y, new float[4]), []); });
        Add("stream/wait-foreign-event", mismatch, e =>
        {
            DeviceStream other = e.Other.CreateStream();
            DeviceEvent ev = other.Record();
            return (() => e.S.Wait(ev), []);
        });
        return list;
    }
}
