using System;

namespace Backends.Cpu;

/// <summary>Rotary position embedding: one token per task, the position's cos/sin table shared by its heads.</summary>
internal static class CpuRope
{
    public static void Run(RopeArgs a, nint x, nint positions, nint y)
    {
        int half = a.RotaryDims / 2, d = a.HeadDim, heads = a.Heads;
        var invFreq = new float[half];
        for (int p = 0; p < half; p++)
        {
            invFreq[p] = OpContracts.RopeInverseFrequency(a.Theta, p, a.RotaryDims);
        }

        DType t = a.X.DType;
        bool interleaved = a.Layout == RopeLayout.Interleaved;
        TensorView xv = a.X, yv = a.Y;
        CpuParallel.For(a.Tokens, Math.Max(1, 8192 / Math.Max(1, heads * d)), (t0, t1) =>
        {
            Span<float> cos = CpuConvert.Scratch(1, Math.Max(half, 1));
            Span<float> sin = CpuConvert.Scratch(2, Math.Max(half, 1));
            Span<float> row = CpuConvert.Scratch(0, d);
            for (long tok = t0; tok < t1; tok++)
            {
                int pos;
                unsafe
                {
                    pos = ((int*)positions)[tok];
                }

                unsafe
                {
                    fixed (float* pf = invFreq, pc = cos, ps = sin)
                    {
                        CpuFused.RopeTable(pos, pf, pc, ps, half);
                    }
                }

                if (t == DType.F32)
                {
                    // F32 in place on the rows: vector rotation for half-split pairs, scalar for interleaved ones.
                    unsafe
                    {
                        fixed (float* pc = cos, ps = sin)
                        {
                            for (int h = 0; h < heads; h++)
                            {
                                long r = ((tok * heads) + h) * d;
                                float* src = (float*)x + xv.ElementOffset(r), dst = (float*)y + yv.ElementOffset(r);
                                if (!interleaved)
                                {
                                    CpuFused.RotateHalf(src, dst, pc, ps, half);
                                }
                                else
                                {
                                    for (int p = 0; p < half; p++)
                                    {
                                        float x0 = src[2 * p], x1 = src[(2 * p) + 1];
                                        dst[2 * p] = (x0 * pc[p]) - (x1 * ps[p]);
                                        dst[(2 * p) + 1] = (x0 * ps[p]) + (x1 * pc[p]);
                                    }
                                }

                                if (src != dst && a.RotaryDims < d)
                                {
                                    Buffer.MemoryCopy(src + a.RotaryDims, dst + a.RotaryDims, (long)(d - a.RotaryDims) * 4, (long)(d - a.RotaryDims) * 4);
                                }
                            }
                        }
                    }

                    continue;
                }

                for (int h = 0; h < heads; h++)
                {
                    long r = ((tok * heads) + h) * d;
                    CpuConvert.ToFloat(t, x, xv.ElementOffset(r), row);
                    for (int p = 0; p < half; p++)
                    {
                        int i0 = interleaved ? 2 * p : p, i1 = interleaved ? (2 * p) + 1 : p + half;
                        float x0 = row[i0], x1 = row[i1];
                        row[i0] = (x0 * cos[p]) - (x1 * sin[p]);
                        row[i1] = (x0 * sin[p]) + (x1 * cos[p]);
                    }

                    CpuConvert.FromFloat(t, row, y, yv.ElementOffset(r));
                }
            }
        });
    }
}
