using System;
using System.Linq;
using Backends.Conformance;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The MoE layer of docs/ops.md run end to end on each device, every op feeding the next through device memory:
/// router GEMM, top-k gating, permute, two grouped GEMMs, swiglu, the down grouped GEMM and unpermute. The float64
/// chain takes the device's expert choices (a near-tie may legitimately route a token elsewhere; the choices
/// themselves are checked against the float64 router) and rounds its intermediates to the dtype where the device
/// stores them; the layer's output must match it within a chain tolerance. This checks what the per-op cases cannot:
/// that the ops compose (the offsets MoePermute writes drive GroupedGemm on the device, the slots drive MoeUnpermute).
/// </summary>
public sealed class MoeLayerTests
{
    private const int Tokens = 37, Hidden = 64, Ffn = 48, Experts = 8, TopK = 2;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string id in TestDevices.Ids)
        {
            foreach (DType dt in new[] { DType.F32, DType.F16, DType.BF16 })
            {
                data.Add(id, dt.ToShortName());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer_MatchesTheFloat64Chain(string device, string dtype)
    {
        Device d = TestDevices.Get(device);
        DType dt = DTypeExtensions.Parse(dtype);
        int seed = OpCatalog.StableSeed(ConformanceSuite.BaseSeed, "moe-layer", dt, 0);
        var rng = new Random(seed);
        double[] Uniform(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => ReferenceOps.Quantize(((rng.NextDouble() * 2) - 1) * scale, dt))];
        double[] x = Uniform(Tokens * Hidden, 1), wg = Uniform(Experts * Hidden, 0.5);
        double[] wGate = Uniform(Experts * Ffn * Hidden, 0.2), wUp = Uniform(Experts * Ffn * Hidden, 0.2), wDown = Uniform(Experts * Hidden * Ffn, 0.2);
        string what = $"{device} {dtype} MoE layer T={Tokens} H={Hidden} F={Ffn} E={Experts} k={TopK} (seed {seed}; {ConformanceSuite.ReplayHint()})";

        using DeviceStream s = d.CreateStream();
        using var owned = new Owned();
        TensorView Up(DType t, double[] v, params int[] shape)
        {
            TensorView view = owned.Add(d.Allocate(t, shape));
            s.WriteBytes(view, HostTensor.Encode(t, v));
            return view;
        }

        TensorView New(DType t, params int[] shape) => owned.Add(d.Allocate(t, shape));
        TensorView vx = Up(dt, x, Tokens, Hidden), vwg = Up(dt, wg, Experts, Hidden);
        TensorView vGate = Up(dt, wGate, Experts, Ffn, Hidden), vUp = Up(dt, wUp, Experts, Ffn, Hidden), vDown = Up(dt, wDown, Experts, Hidden, Ffn);
        TensorView logits = New(DType.F32, Tokens, Experts), weights = New(DType.F32, Tokens, TopK), ids = New(DType.I32, Tokens, TopK);
        TensorView permuted = New(dt, Tokens * TopK, Hidden), rowSource = New(DType.I32, Tokens * TopK), slotOf = New(DType.I32, Tokens, TopK), offsets = New(DType.I32, Experts + 1);
        TensorView hGate = New(dt, Tokens * TopK, Ffn), hUp = New(dt, Tokens * TopK, Ffn), yPerm = New(dt, Tokens * TopK, Hidden), y = New(dt, Tokens, Hidden);
        var gating = new GatingOptions { TopK = TopK, Score = GatingScore.Softmax, Renormalize = true };

        IKernels k = d.Kernels;
        k.Gemm(s, vx, vwg, logits, new GemmOptions { TransB = true });
        k.TopKGating(s, logits, null, weights, ids, gating);
        k.MoePermute(s, vx, ids, permuted, rowSource, slotOf, offsets);
        k.GroupedGemm(s, permuted, vGate, offsets, hGate);
        k.GroupedGemm(s, permuted, vUp, offsets, hUp);
        k.SwiGlu(s, hGate, hUp, hGate); // in place, as a runtime saves the buffer
        k.GroupedGemm(s, hGate, vDown, offsets, yPerm);
        k.MoeUnpermute(s, yPerm, slotOf, weights, y);
        int[] deviceIds = s.Read<int>(ids);
        double[] got = Read(s, y);

        // The float64 router; the device's choices must be its choices or near-ties of them.
        var refLogits = new double[Tokens * Experts];
        ReferenceOps.Gemm(x, wg, refLogits, 1, Tokens, Experts, Hidden, false, true, 1, 0, 0, 0);
        var refWeights = new double[Tokens * TopK];
        var refIds = new int[Tokens * TopK];
        ReferenceOps.TopKGating(refLogits, [], refWeights, refIds, Tokens, Experts, gating);
        var scores = new double[Tokens * Experts];
        ReferenceOps.Softmax(refLogits, scores, Tokens, Experts, Experts, 1, false);
        for (int t = 0; t < Tokens; t++)
        {
            double kth = Enumerable.Range(0, TopK).Min(j => scores[(t * Experts) + refIds[(t * TopK) + j]]);
            for (int j = 0; j < TopK; j++)
            {
                int e = deviceIds[(t * TopK) + j];
                Assert.True(e >= 0 && e < Experts && scores[(t * Experts) + e] >= kth - 1e-3,
                    $"{what}: token {t} chose expert {e} (score {(e >= 0 && e < Experts ? scores[(t * Experts) + e] : double.NaN):G6}); the float64 router chose [{string.Join(",", refIds.Skip(t * TopK).Take(TopK))}] (k-th score {kth:G6})");
            }
        }

        // The float64 chain with the device's choices, rounded to the dtype where the device stores a result.
        var expected = new double[Tokens * Hidden];
        var gate = new double[Ffn];
        for (int t = 0; t < Tokens; t++)
        {
            int[] chosen = [.. deviceIds.Skip(t * TopK).Take(TopK)];
            double sum = chosen.Sum(e => scores[(t * Experts) + e]);
            foreach (int e in chosen)
            {
                double w = scores[(t * Experts) + e] / sum;
                for (int f = 0; f < Ffn; f++)
                {
                    double g = 0, u = 0;
                    for (int h = 0; h < Hidden; h++)
                    {
                        g += x[(t * Hidden) + h] * wGate[(((e * Ffn) + f) * Hidden) + h];
                        u += x[(t * Hidden) + h] * wUp[(((e * Ffn) + f) * Hidden) + h];
                    }

                    gate[f] = ReferenceOps.Quantize(ReferenceOps.Silu(ReferenceOps.Quantize(g, dt)) * ReferenceOps.Quantize(u, dt), dt);
                }

                for (int h = 0; h < Hidden; h++)
                {
                    double o = 0;
                    for (int f = 0; f < Ffn; f++)
                    {
                        o += gate[f] * wDown[(((e * Hidden) + h) * Ffn) + f];
                    }

                    expected[(t * Hidden) + h] += (float)w * ReferenceOps.Quantize(o, dt);
                }
            }
        }

        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = ReferenceOps.Quantize(expected[i], dt);
        }

        double tolerance = dt switch { DType.F32 => 1e-4, DType.F16 => 4e-3, _ => 3e-2 };
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(double.IsFinite(got[i]), $"{what}: y[{i}] is {got[i]}");
            num += (got[i] - expected[i]) * (got[i] - expected[i]);
            den += expected[i] * expected[i];
        }

        double error = Math.Sqrt(num / den);
        Assert.True(error <= tolerance, $"{what}: relative L2 error {error:E2} > {tolerance:E1}");
    }

    private static double[] Read(DeviceStream s, TensorView v)
    {
        var bytes = new byte[v.SizeInBytes];
        s.ReadBytes(v, bytes);
        return HostTensor.Decode(v.DType, bytes);
    }

    private sealed class Owned : IDisposable
    {
        private readonly System.Collections.Generic.List<DeviceBuffer> _buffers = [];

        public TensorView Add(TensorView v)
        {
            _buffers.Add(v.Buffer);
            return v;
        }

        public void Dispose()
        {
            foreach (DeviceBuffer b in _buffers)
            {
                b.Dispose();
            }
        }
    }
}
