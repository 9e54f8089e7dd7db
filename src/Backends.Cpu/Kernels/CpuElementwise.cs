using System;
using System.Numerics.Tensors;

namespace Backends.Cpu;

/// <summary>Elementwise kernels: chunks of at most <see cref="Chunk"/> elements, widened to F32 when the dtype is narrower, spread over cores.</summary>
internal static class CpuElementwise
{
    /// <summary>Elements per chunk: small enough that three F32 chunks stay in L1/L2.</summary>
    public const int Chunk = 8192;

    private delegate void Body(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);

    /// <summary>y = x·sigmoid(x).</summary>
    public static void Silu(DType t, nint x, nint y, long count) =>
        Map(t, x, 0, 0, y, count, 1, static (xs, _, ys) =>
        {
            Span<float> sig = CpuConvert.Scratch(3, xs.Length);
            TensorPrimitives.Sigmoid(xs, sig);
            TensorPrimitives.Multiply(xs, sig, ys);
        });

    /// <summary>y = silu(gate)·up.</summary>
    public static void SwiGlu(DType t, nint gate, nint up, nint y, long count) =>
        Map(t, gate, up, count, y, count, 2, static (g, u, ys) =>
        {
            Span<float> sig = CpuConvert.Scratch(3, g.Length);
            TensorPrimitives.Sigmoid(g, sig);
            TensorPrimitives.Multiply(g, sig, sig);
            TensorPrimitives.Multiply(sig, u, ys);
        });

    /// <summary>y = a + b[i mod bCount].</summary>
    public static void Add(DType t, nint a, nint b, long bCount, nint y, long count) =>
        Map(t, a, b, bCount, y, count, 2, static (x, z, ys) => TensorPrimitives.Add(x, z, ys));

    /// <summary>y = a · b[i mod bCount].</summary>
    public static void Mul(DType t, nint a, nint b, long bCount, nint y, long count) =>
        Map(t, a, b, bCount, y, count, 2, static (x, z, ys) => TensorPrimitives.Multiply(x, z, ys));

    /// <summary>Converts count elements from one float dtype to another (same dtype: a copy).</summary>
    public static unsafe void Cast(DType from, nint x, DType to, nint y, long count)
    {
        if (from == to)
        {
            long bytes = count * from.SizeInBytes();
            CpuParallel.For(bytes, 1 << 20, (s, e) => Buffer.MemoryCopy((byte*)x + s, (byte*)y + s, e - s, e - s));
            return;
        }

        CpuParallel.For((count + Chunk - 1) / Chunk, 4, (c0, c1) =>
        {
            for (long c = c0; c < c1; c++)
            {
                long s = c * Chunk;
                int n = (int)Math.Min(Chunk, count - s);
                if (from == DType.F32)
                {
                    CpuConvert.FromFloat(to, new ReadOnlySpan<float>((float*)x + s, n), y, s);
                }
                else
                {
                    Span<float> tmp = CpuConvert.Scratch(0, n);
                    CpuConvert.ToFloat(from, x, s, tmp);
                    CpuConvert.FromFloat(to, tmp, y, s);
                }
            }
        });
    }

    /// <summary>
    /// Drives a body over [0, count): operand b is read at index i mod bCount (bCount = count for plain elementwise),
    /// and each call to the body sees one contiguous segment that does not wrap around b.
    /// </summary>
    private static unsafe void Map(DType t, nint a, nint b, long bCount, nint y, long count, int inputs, Body body)
    {
        CpuParallel.For((count + Chunk - 1) / Chunk, 4, (c0, c1) =>
        {
            for (long c = c0; c < c1; c++)
            {
                long start = c * Chunk, end = Math.Min(count, start + Chunk);
                for (long i = start; i < end;)
                {
                    long bi = inputs == 2 ? i % bCount : 0;
                    int n = (int)Math.Min(end - i, inputs == 2 ? bCount - bi : end - i);
                    if (t == DType.F32)
                    {
                        body(
                            new ReadOnlySpan<float>((float*)a + i, n),
                            inputs == 2 ? new ReadOnlySpan<float>((float*)b + bi, n) : default,
                            new Span<float>((float*)y + i, n));
                    }
                    else
                    {
                        Span<float> fa = CpuConvert.Scratch(0, n);
                        Span<float> fb = inputs == 2 ? CpuConvert.Scratch(1, n) : default;
                        Span<float> fy = CpuConvert.Scratch(2, n);
                        CpuConvert.ToFloat(t, a, i, fa);
                        if (inputs == 2)
                        {
                            CpuConvert.ToFloat(t, b, bi, fb);
                        }

                        body(fa, fb, fy);
                        CpuConvert.FromFloat(t, fy, y, i);
                    }

                    i += n;
                }
            }
        });
    }
}
