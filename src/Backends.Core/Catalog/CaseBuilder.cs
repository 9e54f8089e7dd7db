using System;
using System.Collections.Generic;

namespace Backends;

/// <summary>Assembles an <see cref="OpCase"/>: a seeded RNG, tensor declarations, launch, reference and FLOP count.</summary>
internal sealed class CaseBuilder
{
    private readonly List<HostTensor> _tensors = [];

    public CaseBuilder(OpSpec spec, OpShape shape, DType dtype, int seed, bool specials)
    {
        Spec = spec;
        Shape = shape;
        DType = dtype;
        Seed = seed;
        Specials = specials;
        Rng = new Random(seed);
    }

    public OpSpec Spec { get; }

    public OpShape Shape { get; }

    public DType DType { get; }

    public int Seed { get; }

    public bool Specials { get; }

    public Random Rng { get; }

    public int this[string axis] => Shape[axis];

    /// <summary>Uniform values in [lo, hi).</summary>
    public double[] Uniform(long count, double lo = -1, double hi = 1)
    {
        var v = new double[count];
        for (long i = 0; i < count; i++)
        {
            v[i] = lo + ((hi - lo) * Rng.NextDouble());
        }

        return v;
    }

    /// <summary>Declares an input; values are rounded to the dtype. Returns the stored values.</summary>
    public double[] Input(string name, DType dtype, int[] shape, double[] values)
    {
        var t = new HostTensor(name, dtype, shape, TensorRole.Input, values);
        _tensors.Add(t);
        return t.Values;
    }

    /// <summary>Declares an integer input.</summary>
    public void IntInput(string name, int[] shape, int[] values)
    {
        var d = new double[values.Length];
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = values[i];
        }

        _tensors.Add(new HostTensor(name, DType.I32, shape, TensorRole.Input, d));
    }

    /// <summary>Declares an output, poisoned before the run.</summary>
    public void Output(string name, DType dtype, int[] shape, CompareMode compare = CompareMode.Norm)
    {
        var init = new double[TensorView.CountElements(shape)];
        Array.Fill(init, HostTensor.Poison(dtype));
        _tensors.Add(new HostTensor(name, dtype, shape, TensorRole.Output, init, compare));
    }

    /// <summary>Declares a read-write tensor with initial values.</summary>
    public double[] InOut(string name, DType dtype, int[] shape, double[] initial)
    {
        var t = new HostTensor(name, dtype, shape, TensorRole.InOut, initial);
        _tensors.Add(t);
        return t.Values;
    }

    /// <summary>Places special values at random positions: each of <paramref name="values"/> once.</summary>
    public void Plant(double[] data, params double[] values)
    {
        if (data.Length == 0)
        {
            return;
        }

        foreach (double v in values)
        {
            data[Rng.Next(data.Length)] = v;
        }
    }

    public OpCase Build(
        double flops,
        Action<IKernels, DeviceStream, Func<string, TensorView>> launch,
        Func<Func<string, double[]>, Dictionary<string, double[]>> reference,
        Func<OpCase, Func<string, double[]>, CheckResult>? customCheck = null,
        Func<OpCase, Func<string, double[]>, CheckResult>? sampledCheck = null) =>
        new(Spec, Shape, DType, Seed, Specials, _tensors, flops, launch, reference, customCheck, sampledCheck);

    public static int[] ToInts(double[] values)
    {
        var r = new int[values.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = (int)values[i];
        }

        return r;
    }

    public static double[] ToDoubles(int[] values)
    {
        var r = new double[values.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = values[i];
        }

        return r;
    }
}
