using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>
/// One op as the conformance suite and the benchmark harness see it: name, axes, default and test shapes,
/// per-dtype tolerance, and a factory of seeded cases (inputs, poisoned outputs, float64 reference, FLOPs, bytes).
/// </summary>
public abstract class OpSpec
{
    /// <summary>The op.</summary>
    public abstract OpKind Kind { get; }

    /// <summary>The lower-case name (<c>gemm</c>).</summary>
    public string Name => OpContracts.Name(Kind);

    /// <summary>The formula, one line.</summary>
    public abstract string Formula { get; }

    /// <summary>The dtypes the contract allows.</summary>
    public IReadOnlyList<DType> DTypes => OpContracts.DataTypes(Kind);

    /// <summary>Every axis of the shape, in order.</summary>
    public abstract IReadOnlyList<OpAxis> Axes { get; }

    /// <summary>The axes a bare <c>AxBxC</c> shape names, in order.</summary>
    public abstract IReadOnlyList<string> PrimaryAxes { get; }

    /// <summary>The shape <c>backends bench</c> uses when none is given.</summary>
    public abstract OpShape DefaultShape { get; }

    /// <summary>The shapes of the conformance suite: edge sizes (1, vector width ±1, odd), every flag, and some large-ish ones.</summary>
    /// <param name="dtype">The dtype under test.</param>
    /// <returns>The shapes.</returns>
    public abstract IReadOnlyList<OpShape> ConformanceShapes(DType dtype);

    /// <summary>The shape of the special-value case (NaN, ±∞ and the other values the contract singles out), or null when the op has none.</summary>
    public abstract OpShape? SpecialShape { get; }

    /// <summary>
    /// The in-place uses the contract allows: an output that may be the very same view as an input (<c>y</c> as
    /// <c>x</c>). <see cref="OpCase.InPlaceChoices"/> keeps those a given case can take (the same shape and dtype).
    /// </summary>
    public virtual IReadOnlyList<InPlace> InPlaceUses => [];

    /// <summary>The relative L2 tolerance for an output of <paramref name="outputType"/>; the per-element bound is 10× this.</summary>
    /// <param name="outputType">The output's dtype.</param>
    /// <returns>The tolerance.</returns>
    public virtual double Tolerance(DType outputType) => outputType switch
    {
        DType.F32 => 1e-5,
        DType.F16 => 1e-3,
        DType.BF16 => 8e-3,
        _ => 0,
    };

    /// <summary>Creates a seeded case.</summary>
    /// <param name="shape">The shape; missing axes take their defaults.</param>
    /// <param name="dtype">The data type.</param>
    /// <param name="seed">The random seed (printed with every failure).</param>
    /// <param name="specials">Whether to plant special values (NaN, ±∞, ties) in the inputs.</param>
    /// <returns>The case.</returns>
    /// <exception cref="ArgumentException">The dtype is not allowed, or the shape names an unknown axis.</exception>
    public OpCase CreateCase(OpShape shape, DType dtype, int seed, bool specials = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!DTypes.Contains(dtype))
        {
            throw new ArgumentException($"{Name} does not take {dtype.ToShortName()}; it takes {string.Join(", ", DTypes.Select(t => t.ToShortName()))}.", nameof(dtype));
        }

        foreach (KeyValuePair<string, int> kv in shape.Values)
        {
            if (!Axes.Any(a => a.Name == kv.Key))
            {
                throw new ArgumentException($"{Name} has no axis '{kv.Key}'.", nameof(shape));
            }
        }

        OpShape full = new(Axes.Select(a => (a.Name, shape.TryGet(a.Name, out int v) ? v : a.Default)).ToArray());
        return Build(new CaseBuilder(this, full, dtype, seed, specials));
    }

    /// <summary>Builds a case: declare tensors, the launch, the reference and the FLOP count on <paramref name="b"/>.</summary>
    /// <param name="b">The builder, holding shape, dtype, seed and a seeded RNG.</param>
    /// <returns>The case.</returns>
    internal abstract OpCase Build(CaseBuilder b);

    /// <summary>A shape of this op from values given in <see cref="Axes"/> order.</summary>
    /// <param name="values">One value per axis, in order; missing trailing axes take defaults.</param>
    /// <returns>The shape.</returns>
    protected OpShape S(params int[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new OpShape(Axes.Select((a, i) => (a.Name, i < values.Length ? values[i] : a.Default)).ToArray());
    }
}
