using System;
using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// Equal inputs give bit-identical outputs wherever they sit in a row: in a kernel's whole vectors or in its tail. A
/// tail computed by other code (a scalar exp beside a vector one) differs in the last bits, which the tolerance of the
/// conformance checks hides but the router's tie rule does not: on the CPU at 256 and 128 bits, softmax scores of
/// equal logits at expert 13 and expert 32 of 33 differed, and expert 32 was chosen before 13. Row lengths here cover
/// one vector and more of every width (4, 8, 16 floats) plus a ragged rest. Runs on every device.
/// </summary>
public sealed class PositionIndependenceTests
{
    public static TheoryData<string> Devices() => [.. TestDevices.Ids];

    private static readonly int[] Lengths = [5, 37, 75];

    private static readonly float[] Values = [-20.5f, -3.7f, 0.3f, 5.1f];

    private static void AssertAllEqual(float[] y, string what)
    {
        uint first = BitConverter.SingleToUInt32Bits(y[0]);
        for (int i = 1; i < y.Length; i++)
        {
            Assert.True(BitConverter.SingleToUInt32Bits(y[i]) == first, $"{what}: element {i} is {y[i]:R}, element 0 is {y[0]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void ElementwiseAndRowOps_GiveEqualOutputsForEqualInputs(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        foreach (int n in Lengths)
        {
            foreach (float v in Values)
            {
                float[] x = Enumerable.Repeat(v, 2 * n).ToArray();
                using DeviceBuffer bx = d.AllocateBuffer(DType.F32, 2 * n), bu = d.AllocateBuffer(DType.F32, 2 * n), by = d.AllocateBuffer(DType.F32, 2 * n);
                TensorView vx = bx.View(2, n), vu = bu.View(2, n), vy = by.View(2, n);
                s.Write<float>(vx, x);
                s.Write<float>(vu, Enumerable.Repeat(0.75f, 2 * n).ToArray());

                d.Kernels.Silu(s, vx, vy);
                AssertAllEqual(s.Read<float>(vy), $"{device} silu of {n} × {v}");
                d.Kernels.SwiGlu(s, vx, vu, vy);
                AssertAllEqual(s.Read<float>(vy), $"{device} swiglu of {n} × {v}");
                d.Kernels.Softmax(s, vx, vy);
                AssertAllEqual(s.Read<float>(vy), $"{device} softmax of rows of {n} × {v}");

                // Unpermute: one token, two slots, each expert row constant.
                using DeviceBuffer slots = d.AllocateBuffer(DType.I32, 2), weights = d.AllocateBuffer(DType.F32, 2), bo = d.AllocateBuffer(DType.F32, n);
                s.Write<int>(slots.View(1, 2), [1, 0]);
                s.Write<float>(weights.View(1, 2), [0.3f, 1.7f]);
                s.Write<float>(vu, Enumerable.Repeat(v, n).Concat(Enumerable.Repeat(-0.6f, n)).ToArray());
                d.Kernels.MoeUnpermute(s, vu, slots.View(1, 2), weights.View(1, 2), bo.View(1, n));
                AssertAllEqual(s.Read<float>(bo.View(1, n)), $"{device} moe-unpermute of rows of {n}");
            }
        }
    }

    /// <summary>
    /// Random rows (not constants: a scalar and a vector exp can agree on a few values and not on others) computed in
    /// three placements: as they are, with every row rotated left by one (each element moves to another lane, in or out
    /// of a tail), and as a column block of a wider buffer (a strided view, which some devices run by other kernels).
    /// Every element's output must have the same bits in all three. (OpenCL's silu and swiglu computed their tails and
    /// their strided views by a scalar exp beside the vectors' and differed in 1 to 5 elements of 165 to 1088.)
    /// </summary>
    [Theory]
    [MemberData(nameof(Devices))]
    public void SiluAndSwiGlu_GiveTheSameBitsWhereverAnElementSits(string device)
    {
        const int Seed = 20261202, Rows = 24;
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        var rnd = new Random(Seed);
        foreach (int n in Lengths)
        {
            float[] x = Enumerable.Range(0, Rows * n).Select(_ => (float)((rnd.NextDouble() * 60) - 30)).ToArray();
            float[] u = Enumerable.Range(0, Rows * n).Select(_ => (float)((rnd.NextDouble() * 4) - 2)).ToArray();
            float[] xr = RotateRows(x, n), ur = RotateRows(u, n);
            const int Pad = 5, Column = 3;
            using DeviceBuffer bx = d.AllocateBuffer(DType.F32, Rows * n), bu = d.AllocateBuffer(DType.F32, Rows * n), by = d.AllocateBuffer(DType.F32, Rows * n);
            using DeviceBuffer wx = d.AllocateBuffer(DType.F32, Rows * (n + Pad)), wu = d.AllocateBuffer(DType.F32, Rows * (n + Pad)), wy = d.AllocateBuffer(DType.F32, Rows * (n + Pad));
            TensorView vx = bx.View(Rows, n), vu = bu.View(Rows, n), vy = by.View(Rows, n);
            TensorView sx = wx.View(Rows, n + Pad).Columns(Column, n), su = wu.View(Rows, n + Pad).Columns(Column, n), sy = wy.View(Rows, n + Pad).Columns(Column, n);
            foreach (string op in new[] { "silu", "swiglu" })
            {
                float[] Run(TensorView a, TensorView b, TensorView y, float[] av, float[] bv)
                {
                    s.Write<float>(a, av);
                    s.Write<float>(b, bv);
                    if (op == "silu")
                    {
                        d.Kernels.Silu(s, a, y);
                    }
                    else
                    {
                        d.Kernels.SwiGlu(s, a, b, y);
                    }

                    return s.Read<float>(y);
                }

                float[] plain = Run(vx, vu, vy, x, u);
                float[] rotated = Run(vx, vu, vy, xr, ur);
                float[] strided = Run(sx, su, sy, x, u);
                float[] expectRotated = RotateRows(plain, n);
                for (int i = 0; i < plain.Length; i++)
                {
                    string what = $"{device} {op}, rows of {n}, element {i} (row {i / n}, column {i % n}), input {x[i]:R} (seed {Seed})";
                    Assert.True(Same(rotated[i], expectRotated[i]), $"{what}: {expectRotated[i]:R} in place, {rotated[i]:R} one column to the left");
                    Assert.True(Same(strided[i], plain[i]), $"{what}: {plain[i]:R} contiguous, {strided[i]:R} in a strided view");
                }
            }
        }
    }

    /// <summary>
    /// Softmax rows of one maximum and n − 1 equal values below it, each row its own value: exp(v − max) differs per
    /// row and is computed at every position of the row, so every tied element of a row must get the same bits, in a
    /// contiguous and in a strided view alike.
    /// </summary>
    [Theory]
    [MemberData(nameof(Devices))]
    public void Softmax_TiedElementsGetTheSameBitsWhereverTheySit(string device)
    {
        const int Seed = 20261203, Rows = 24, Pad = 5, Column = 3;
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        var rnd = new Random(Seed);
        foreach (int n in Lengths)
        {
            var x = new float[Rows * n];
            for (int r = 0; r < Rows; r++)
            {
                float v = r % 2 == 0 ? (float)((rnd.NextDouble() * 38) - 30) : (float)(8 - (rnd.NextDouble() * 2)); // exp of (−38, 0) or (−2, 0)
                int top = rnd.Next(n);
                for (int j = 0; j < n; j++)
                {
                    x[(r * n) + j] = j == top ? 8f : v;
                }
            }

            using DeviceBuffer bx = d.AllocateBuffer(DType.F32, Rows * n), by = d.AllocateBuffer(DType.F32, Rows * n);
            using DeviceBuffer wx = d.AllocateBuffer(DType.F32, Rows * (n + Pad)), wy = d.AllocateBuffer(DType.F32, Rows * (n + Pad));
            TensorView vx = bx.View(Rows, n), vy = by.View(Rows, n);
            TensorView sx = wx.View(Rows, n + Pad).Columns(Column, n), sy = wy.View(Rows, n + Pad).Columns(Column, n);
            s.Write<float>(vx, x);
            s.Write<float>(sx, x);
            d.Kernels.Softmax(s, vx, vy);
            d.Kernels.Softmax(s, sx, sy);
            float[] plain = s.Read<float>(vy), strided = s.Read<float>(sy);
            for (int r = 0; r < Rows; r++)
            {
                int tied = x[r * n] == 8f ? 1 : 0; // an element of the row other than its maximum
                for (int j = 0; j < n; j++)
                {
                    int i = (r * n) + j;
                    string what = $"{device} softmax, rows of {n}, row {r}, column {j} (seed {Seed})";
                    Assert.True(Same(strided[i], plain[i]), $"{what}: {plain[i]:R} contiguous, {strided[i]:R} in a strided view");
                    if (x[i] != 8f)
                    {
                        Assert.True(Same(plain[i], plain[(r * n) + tied]), $"{what}: {plain[i]:R}, the tied column {tied} {plain[(r * n) + tied]:R}");
                    }
                }
            }
        }
    }

    private static bool Same(float a, float b) => BitConverter.SingleToUInt32Bits(a) == BitConverter.SingleToUInt32Bits(b);

    /// <summary>Each row of <paramref name="n"/> rotated left by one: element j takes element j + 1 (the first goes last).</summary>
    private static float[] RotateRows(float[] v, int n)
    {
        var r = new float[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            int row = i / n, j = i % n;
            r[i] = v[(row * n) + ((j + 1) % n)];
        }

        return r;
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Router_ExactTiesGoToTheLowerIdsWhereverTheExpertsSit(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        foreach (int experts in new[] { 33, 47, 75 })
        {
            foreach (GatingScore score in new[] { GatingScore.Softmax, GatingScore.Sigmoid })
            {
                // Expert 1 above the rest, which tie: exp(x − max) of the ties is not exactly 1, so a tail computed
                // by another exp than the vectors shows (all logits equal would give exp(0) = 1 either way).
                const int tokens = 3, k = 15;
                float[] x = Enumerable.Repeat(0.7f, tokens * experts).ToArray();
                for (int t = 0; t < tokens; t++)
                {
                    x[(t * experts) + 1] = 3f;
                }

                using DeviceBuffer logits = d.AllocateBuffer(DType.F32, tokens * experts), w = d.AllocateBuffer(DType.F32, tokens * k), ids = d.AllocateBuffer(DType.I32, tokens * k);
                s.Write<float>(logits.View(tokens, experts), x);
                d.Kernels.TopKGating(s, logits.View(tokens, experts), null, w.View(tokens, k), ids.View(tokens, k), new GatingOptions { TopK = k, Score = score });
                int[] got = s.Read<int>(ids.View(tokens, k));
                float[] weights = s.Read<float>(w.View(tokens, k));
                int[] expected = [1, 0, .. Enumerable.Range(2, k - 2)];
                for (int t = 0; t < tokens; t++)
                {
                    Assert.True(got.Skip(t * k).Take(k).SequenceEqual(expected),
                        $"{device} {score}, {experts} experts, expert 1 first and the rest tied: token {t} chose [{string.Join(",", got.Skip(t * k).Take(k))}], ties must go to the lower ids");
                    AssertAllEqual(weights.Skip((t * k) + 1).Take(k - 1).ToArray(), $"{device} {score} weights of {experts} tied experts, token {t}");
                }
            }
        }
    }
}
