using System;

namespace Backends.Conformance;

/// <summary>
/// The float64 reference of every op of the standard set: straightforward loops over <see cref="double"/>, the
/// definition every backend is checked against. Arguments follow the op contracts in <see cref="IKernels"/>;
/// integer tensors are <see cref="int"/> spans. Not fast; not for production use.
/// </summary>
public static partial class ReferenceOps
{
    /// <summary>Rounds a value as storing it in <paramref name="dtype"/> would (round to nearest even, saturating to ∞ for floats; integers truncate and wrap as a C cast).</summary>
    /// <param name="value">The value.</param>
    /// <param name="dtype">The storage type.</param>
    /// <returns>The stored value, widened back to double.</returns>
    public static double Quantize(double value, DType dtype) => dtype switch
    {
        DType.F32 => (float)value,
        DType.F16 => (double)(Half)value,
        DType.BF16 => (double)(BFloat16)value,
        DType.I32 => double.IsFinite(value) ? (int)value : 0,
        DType.I8 => double.IsFinite(value) ? (sbyte)(int)value : 0,
        DType.U8 => double.IsFinite(value) ? (byte)(int)value : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>silu(x) = x·σ(x), evaluated as IEEE x / (1 + e^(−x)) (so silu(−∞) = NaN).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The output.</returns>
    public static double Silu(double x) => x * Sigmoid(x);

    /// <summary>σ(x) = 1 / (1 + e^(−x)).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The output.</returns>
    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>C = alpha·op(A)·op(B) + beta·C for a batch (see <see cref="IKernels.Gemm"/>); C is not read when beta = 0.</summary>
    /// <param name="a">A values.</param>
    /// <param name="b">B values.</param>
    /// <param name="c">C values, updated.</param>
    /// <param name="batch">Batches of C.</param>
    /// <param name="m">Rows.</param>
    /// <param name="n">Columns.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="transA">A is [K,M].</param>
    /// <param name="transB">B is [N,K].</param>
    /// <param name="alpha">Product multiplier.</param>
    /// <param name="beta">Old-C multiplier.</param>
    /// <param name="strideA">Elements between A matrices (0 = shared).</param>
    /// <param name="strideB">Elements between B matrices (0 = shared).</param>
    public static void Gemm(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int batch, int m, int n, int k,
        bool transA, bool transB, double alpha, double beta, long strideA, long strideB)
    {
        for (int p = 0; p < batch; p++)
        {
            ReadOnlySpan<double> ap = a[(int)(p * strideA)..];
            ReadOnlySpan<double> bp = b[(int)(p * strideB)..];
            Span<double> cp = c.Slice(p * m * n, m * n);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int q = 0; q < k; q++)
                    {
                        double av = transA ? ap[(q * m) + i] : ap[(i * k) + q];
                        double bv = transB ? bp[(j * k) + q] : bp[(q * n) + j];
                        sum += av * bv;
                    }

                    int idx = (i * n) + j;
                    cp[idx] = beta == 0 ? alpha * sum : (alpha * sum) + (beta * cp[idx]);
                }
            }
        }
    }

    /// <summary>Grouped GEMM (see <see cref="IKernels.GroupedGemm"/>): rows outside every group become 0.</summary>
    /// <param name="a">A [R,K].</param>
    /// <param name="w">Weights [E,N,K] (transB) or [E,K,N].</param>
    /// <param name="offsets">Raw offsets [E+1].</param>
    /// <param name="c">Output [R,N].</param>
    /// <param name="rows">R.</param>
    /// <param name="n">N.</param>
    /// <param name="k">K.</param>
    /// <param name="experts">E.</param>
    /// <param name="transB">Weight layout.</param>
    public static void GroupedGemm(ReadOnlySpan<double> a, ReadOnlySpan<double> w, ReadOnlySpan<int> offsets, Span<double> c,
        int rows, int n, int k, int experts, bool transB)
    {
        int[] eff = OpContracts.EffectiveOffsets(offsets, rows);
        c[..(rows * n)].Clear();
        for (int e = 0; e < experts; e++)
        {
            ReadOnlySpan<double> we = w.Slice(e * n * k, n * k);
            for (int r = eff[e]; r < eff[e + 1]; r++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int q = 0; q < k; q++)
                    {
                        sum += a[(r * k) + q] * (transB ? we[(j * k) + q] : we[(q * n) + j]);
                    }

                    c[(r * n) + j] = sum;
                }
            }
        }
    }

    /// <summary>Row softmax (see <see cref="IKernels.Softmax"/>).</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Row length.</param>
    /// <param name="queryRows">Size of dimension −2 for the causal mask.</param>
    /// <param name="scale">Input multiplier.</param>
    /// <param name="causal">Whether the mask applies.</param>
    public static void Softmax(ReadOnlySpan<double> x, Span<double> y, long rows, int cols, int queryRows, double scale, bool causal)
    {
        var args = new SoftmaxArgs(null!, null!, rows, cols, queryRows, (float)scale, causal);
        for (long r = 0; r < rows; r++)
        {
            ReadOnlySpan<double> xr = x.Slice((int)(r * cols), cols);
            Span<double> yr = y.Slice((int)(r * cols), cols);
            int kept = args.KeptColumns(r);
            yr.Clear();
            if (kept == 0)
            {
                continue;
            }

            double max = double.NegativeInfinity;
            bool nan = false;
            for (int j = 0; j < kept; j++)
            {
                double v = scale * xr[j];
                nan |= double.IsNaN(v);
                max = Math.Max(max, v);
            }

            double sum = 0;
            for (int j = 0; j < kept; j++)
            {
                double e = nan ? double.NaN : Math.Exp((scale * xr[j]) - max);
                yr[j] = e;
                sum += e;
            }

            for (int j = 0; j < kept; j++)
            {
                yr[j] /= sum;
            }
        }
    }

    /// <summary>RMS norm (see <see cref="IKernels.RmsNorm"/>).</summary>
    /// <param name="x">Input.</param>
    /// <param name="gamma">Scale [cols].</param>
    /// <param name="y">Output.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Row length.</param>
    /// <param name="eps">Epsilon.</param>
    public static void RmsNorm(ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, Span<double> y, long rows, int cols, double eps)
    {
        for (long r = 0; r < rows; r++)
        {
            ReadOnlySpan<double> xr = x.Slice((int)(r * cols), cols);
            double ss = 0;
            foreach (double v in xr)
            {
                ss += v * v;
            }

            double inv = 1.0 / Math.Sqrt((ss / cols) + eps);
            for (int j = 0; j < cols; j++)
            {
                y[(int)(r * cols) + j] = xr[j] * inv * gamma[j];
            }
        }
    }

    /// <summary>Elementwise silu.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    public static void Silu(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = Silu(x[i]);
        }
    }

    /// <summary>Elementwise silu(gate)·up.</summary>
    /// <param name="gate">Gate.</param>
    /// <param name="up">Up.</param>
    /// <param name="y">Output.</param>
    public static void SwiGlu(ReadOnlySpan<double> gate, ReadOnlySpan<double> up, Span<double> y)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            y[i] = Silu(gate[i]) * up[i];
        }
    }

    /// <summary>y[i] = a[i] + b[i mod |b|].</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand (broadcast).</param>
    /// <param name="y">Output.</param>
    public static void Add(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y)
    {
        for (int i = 0; i < a.Length; i++)
        {
            y[i] = a[i] + b[i % b.Length];
        }
    }

    /// <summary>y[i] = a[i] · b[i mod |b|].</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand (broadcast).</param>
    /// <param name="y">Output.</param>
    public static void Mul(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y)
    {
        for (int i = 0; i < a.Length; i++)
        {
            y[i] = a[i] * b[i % b.Length];
        }
    }

    /// <summary>Rotary embedding (see <see cref="IKernels.Rope"/>).</summary>
    /// <param name="x">Input [T,H,D].</param>
    /// <param name="positions">Positions [T].</param>
    /// <param name="y">Output [T,H,D].</param>
    /// <param name="tokens">T.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">D.</param>
    /// <param name="rotaryDims">Rotated dimensions (even).</param>
    /// <param name="theta">Frequency base.</param>
    /// <param name="layout">Pairing.</param>
    public static void Rope(ReadOnlySpan<double> x, ReadOnlySpan<int> positions, Span<double> y, int tokens, int heads, int headDim,
        int rotaryDims, double theta, RopeLayout layout)
    {
        int half = rotaryDims / 2;
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int baseIdx = ((t * heads) + h) * headDim;
                for (int d = rotaryDims; d < headDim; d++)
                {
                    y[baseIdx + d] = x[baseIdx + d];
                }

                for (int p = 0; p < half; p++)
                {
                    double angle = OpContracts.RopeAngle(positions[t], OpContracts.RopeInverseFrequency(theta, p, rotaryDims));
                    (double s, double c) = Math.SinCos(angle);
                    int i0 = layout == RopeLayout.Interleaved ? 2 * p : p;
                    int i1 = layout == RopeLayout.Interleaved ? (2 * p) + 1 : p + half;
                    double x0 = x[baseIdx + i0], x1 = x[baseIdx + i1];
                    y[baseIdx + i0] = (x0 * c) - (x1 * s);
                    y[baseIdx + i1] = (x0 * s) + (x1 * c);
                }
            }
        }
    }

    /// <summary>Weighted gather back to token order (see <see cref="IKernels.MoeUnpermute"/>).</summary>
    /// <param name="expertOutput">[R,H].</param>
    /// <param name="slotOf">[T,K].</param>
    /// <param name="weights">[T,K].</param>
    /// <param name="output">[T,H].</param>
    /// <param name="tokens">T.</param>
    /// <param name="hidden">H.</param>
    /// <param name="k">K.</param>
    /// <param name="rows">R.</param>
    public static void MoeUnpermute(ReadOnlySpan<double> expertOutput, ReadOnlySpan<int> slotOf, ReadOnlySpan<double> weights, Span<double> output,
        int tokens, int hidden, int k, int rows)
    {
        for (int t = 0; t < tokens; t++)
        {
            Span<double> o = output.Slice(t * hidden, hidden);
            o.Clear();
            for (int j = 0; j < k; j++)
            {
                int slot = slotOf[(t * k) + j];
                if (slot < 0 || slot >= rows)
                {
                    continue;
                }

                double w = weights[(t * k) + j];
                for (int h = 0; h < hidden; h++)
                {
                    o[h] += w * expertOutput[(slot * hidden) + h];
                }
            }
        }
    }

    /// <summary>Gathers token rows into expert order (see <see cref="IKernels.MoePermute"/>).</summary>
    /// <param name="tokens">[T,H].</param>
    /// <param name="ids">[T,K].</param>
    /// <param name="permuted">[T·K,H].</param>
    /// <param name="rowSource">[T·K].</param>
    /// <param name="slotOf">[T,K].</param>
    /// <param name="expertOffsets">[E+1].</param>
    /// <param name="t">T.</param>
    /// <param name="h">H.</param>
    /// <param name="k">K.</param>
    /// <param name="experts">E.</param>
    public static void MoePermute(ReadOnlySpan<double> tokens, ReadOnlySpan<int> ids, Span<double> permuted, Span<int> rowSource,
        Span<int> slotOf, Span<int> expertOffsets, int t, int h, int k, int experts)
    {
        var counts = new int[experts];
        foreach (int e in ids[..(t * k)])
        {
            if (e >= 0 && e < experts)
            {
                counts[e]++;
            }
        }

        expertOffsets[0] = 0;
        for (int e = 0; e < experts; e++)
        {
            expertOffsets[e + 1] = expertOffsets[e] + counts[e];
        }

        var next = new int[experts];
        for (int e = 0; e < experts; e++)
        {
            next[e] = expertOffsets[e];
        }

        permuted[..(t * k * h)].Clear();
        rowSource[..(t * k)].Fill(-1);
        for (int i = 0; i < t * k; i++)
        {
            int e = ids[i];
            if (e < 0 || e >= experts)
            {
                slotOf[i] = -1;
                continue;
            }

            int slot = next[e]++;
            slotOf[i] = slot;
            rowSource[slot] = i / k;
            tokens.Slice(i / k * h, h).CopyTo(permuted.Slice(slot * h, h));
        }
    }
}
