using ILGPU;
using ILGPU.Algorithms;

namespace Backends.Cuda.Kernels;

/// <summary>
/// Rotary embedding on x [T, H, D]: thread (t, p) for p &lt; rot/2 computes the angle of pair p at token t once and turns
/// that pair in every head; for p ≥ rot/2 it copies dimension rot + (p − rot/2) of every head. The inverse frequencies
/// come from the host (rounded once to F32), and angle = fl32(pos · inv_freq), so every backend turns by the same angle;
/// its sine and cosine are taken in double.
/// </summary>
internal static class RopeKernels
{
    public static void Rope(Index1D index, ArrayView<byte> x, ArrayView<int> positions, ArrayView<float> invFreq, ArrayView<byte> y, RopeParams p)
    {
        int half = p.Rot / 2;
        int work = half + (p.D - p.Rot);
        long total = p.Tokens * work;
        for (long i = index; i < total; i += p.Step)
        {
            long t = i / work;
            int pp = (int)(i % work);
            long bx = p.X.At(t * p.Heads * p.D), by = p.Y.At(t * p.Heads * p.D);
            if (pp >= half)
            {
                int j = p.Rot + (pp - half);
                for (int h = 0; h < p.Heads; h++)
                {
                    Numerics.Store(y, p.Type, by + ((long)h * p.D) + j, Numerics.Load(x, p.Type, bx + ((long)h * p.D) + j));
                }

                continue;
            }

            float angle = positions[p.PositionsOffset + t] * invFreq[pp];
            float c = (float)XMath.Cos((double)angle), s = (float)XMath.Sin((double)angle);
            int i0 = p.Interleaved != 0 ? 2 * pp : pp;
            int i1 = p.Interleaved != 0 ? (2 * pp) + 1 : pp + half;
            for (int h = 0; h < p.Heads; h++)
            {
                long hx = bx + ((long)h * p.D), hy = by + ((long)h * p.D);
                float x0 = Numerics.Load(x, p.Type, hx + i0), x1 = Numerics.Load(x, p.Type, hx + i1);
                Numerics.Store(y, p.Type, hy + i0, (x0 * c) - (x1 * s));
                Numerics.Store(y, p.Type, hy + i1, (x0 * s) + (x1 * c));
            }
        }
    }
}

/// <summary>The scalars of one RoPE launch.</summary>
internal readonly struct RopeParams
{
    public readonly ViewLayout X;
    public readonly ViewLayout Y;
    public readonly long PositionsOffset;
    public readonly long Tokens;
    public readonly long Step;
    public readonly int Heads;
    public readonly int D;
    public readonly int Rot;
    public readonly int Interleaved;
    public readonly int Type;

    public RopeParams(ViewLayout x, ViewLayout y, long positionsOffset, long tokens, long step, int heads, int d, int rot, int interleaved, int type)
    {
        X = x;
        Y = y;
        PositionsOffset = positionsOffset;
        Tokens = tokens;
        Step = step;
        Heads = heads;
        D = d;
        Rot = rot;
        Interleaved = interleaved;
        Type = type;
    }
}
