using System;
using System.Collections.Generic;

namespace Backends.Conformance;

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

    /// <summary>Row padding for the tensors declared strided: the shape's <c>pad</c> axis, 0 when the op has none.</summary>
    public int Pad => Shape.TryGet("pad", out int p) ? p : 0;

    private long _hostBytes;

    /// <summary>
    /// Counts host float64 memory before it is allocated: a shape whose inputs, outputs and reference would not fit in
    /// half of this process's memory (or an array longer than .NET allows) is refused with <see cref="ArgumentException"/>
    /// instead of running out of memory later.
    /// </summary>
    public void Reserve(long elements)
    {
        long budget = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
        _hostBytes += Math.Max(0, elements) * sizeof(double);
        if (elements > Array.MaxLength || _hostBytes > budget)
        {
            throw new ArgumentException(
                $"{Spec.Name} {Shape}: the float64 host reference needs more than {_hostBytes / (1 << 20)} MiB (limit {budget / (1 << 20)} MiB, at most {Array.MaxLength} elements per tensor); use a smaller shape.");
        }
    }

    /// <summary>Uniform values in [lo, hi).</summary>
    public double[] Uniform(long count, double lo = -1, double hi = 1)
    {
        Reserve(2 * count); // the values and, for outputs derived from them, a reference of similar size
        var v = new double[count];
        for (long i = 0; i < count; i++)
        {
            v[i] = lo + ((hi - lo) * Rng.NextDouble());
        }

        return v;
    }

    /// <summary>Declares an input; values are rounded to the dtype. Returns the stored values. A strided input (rank ≥ 2) is placed as a row-strided view when the case has a <c>pad</c>.</summary>
    public double[] Input(string name, DType dtype, int[] shape, double[] values, bool strided = false)
    {
        var t = new HostTensor(name, dtype, shape, TensorRole.Input, values) { RowPadding = PadFor(shape, strided) };
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

    /// <summary>Declares an output, poisoned before the run (strided: see <see cref="Input"/>).</summary>
    public void Output(string name, DType dtype, int[] shape, CompareMode compare = CompareMode.Norm, bool strided = false)
    {
        long count = TensorView.CountElements(shape);
        Reserve(2 * count); // the poison and the reference
        var init = new double[count];
        Array.Fill(init, HostTensor.Poison(dtype));
        _tensors.Add(new HostTensor(name, dtype, shape, TensorRole.Output, init, compare) { RowPadding = PadFor(shape, strided) });
    }

    /// <summary>Declares a read-write tensor with initial values (strided: see <see cref="Input"/>).</summary>
    public double[] InOut(string name, DType dtype, int[] shape, double[] initial, bool strided = false)
    {
        var t = new HostTensor(name, dtype, shape, TensorRole.InOut, initial) { RowPadding = PadFor(shape, strided) };
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
        Func<OpCase, Func<string, double[]>, CheckResult>? sampledCheck = null,
        Func<Func<string, double[]>, Dictionary<string, double[]>>? roundingFloors = null) =>
        new(Spec, Shape, DType, Seed, Specials, _tensors, flops, launch, reference, customCheck, sampledCheck, roundingFloors);

    private int PadFor(int[] shape, bool strided) => strided && shape.Length >= 2 ? Pad : 0;

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
