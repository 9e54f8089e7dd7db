using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Backends.Conformance;

/// <summary>Values for an op's axes, in the spec's axis order: <c>M=64 N=64 K=64</c>.</summary>
public sealed class OpShape : IEquatable<OpShape>
{
    private readonly KeyValuePair<string, int>[] _values;

    /// <summary>Creates a shape from axis/value pairs.</summary>
    /// <param name="values">The pairs.</param>
    public OpShape(params (string Axis, int Value)[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values.Select(v => new KeyValuePair<string, int>(v.Axis, v.Value)).ToArray();
    }

    private OpShape(KeyValuePair<string, int>[] values) => _values = values;

    /// <summary>The pairs in order.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Values => _values;

    /// <summary>The value of an axis.</summary>
    /// <param name="axis">The axis name.</param>
    /// <returns>The value.</returns>
    /// <exception cref="KeyNotFoundException">The shape has no such axis.</exception>
    public int this[string axis] => TryGet(axis, out int v) ? v : throw new KeyNotFoundException($"Shape '{this}' has no axis '{axis}'.");

    /// <summary>Looks an axis up.</summary>
    /// <param name="axis">The axis name.</param>
    /// <param name="value">Its value.</param>
    /// <returns>Whether present.</returns>
    public bool TryGet(string axis, out int value)
    {
        foreach (KeyValuePair<string, int> kv in _values)
        {
            if (kv.Key == axis)
            {
                value = kv.Value;
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>A copy with one axis set.</summary>
    /// <param name="axis">The axis.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new shape.</returns>
    public OpShape With(string axis, int value)
    {
        var list = _values.ToList();
        int i = list.FindIndex(kv => kv.Key == axis);
        if (i >= 0)
        {
            list[i] = new(axis, value);
        }
        else
        {
            list.Add(new(axis, value));
        }

        return new OpShape([.. list]);
    }

    /// <summary>
    /// Parses <c>M=64,N=32,K=16</c> (any axes of the spec, the rest default) or <c>64x32x16</c> (the spec's primary axes
    /// in order), and completes it with the spec's defaults.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="spec">The op the shape is for.</param>
    /// <returns>The full shape.</returns>
    /// <exception cref="FormatException">Unknown axis or bad number.</exception>
    public static OpShape Parse(string text, OpSpec spec)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(spec);
        var given = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        string t = text.Trim();
        if (!t.Contains('=', StringComparison.Ordinal))
        {
            string[] parts = t.Split('x', 'X', '*');
            if (parts.Length > spec.PrimaryAxes.Count)
            {
                throw new FormatException($"'{text}' has {parts.Length} sizes; {spec.Name} takes up to {spec.PrimaryAxes.Count} ({string.Join("x", spec.PrimaryAxes)}).");
            }

            for (int i = 0; i < parts.Length; i++)
            {
                given[spec.PrimaryAxes[i]] = ParseInt(parts[i], text);
            }
        }
        else
        {
            foreach (string part in t.Split(',', ' ', ';').Where(p => p.Length > 0))
            {
                string[] kv = part.Split('=');
                if (kv.Length != 2)
                {
                    throw new FormatException($"'{part}' in '{text}' is not axis=value.");
                }

                OpAxis? axis = spec.Axes.FirstOrDefault(a => string.Equals(a.Name, kv[0].Trim(), StringComparison.OrdinalIgnoreCase))
                    ?? throw new FormatException($"{spec.Name} has no axis '{kv[0]}'; its axes are {string.Join(", ", spec.Axes.Select(a => a.Name))}.");
                given[axis.Name] = ParseInt(kv[1], text);
            }
        }

        return new OpShape(spec.Axes.Select(a => (a.Name, given.TryGetValue(a.Name, out int v) ? v : a.Default)).ToArray());
    }

    /// <inheritdoc />
    public bool Equals(OpShape? other) => other is not null && _values.SequenceEqual(other._values);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as OpShape);

    /// <inheritdoc />
    public override int GetHashCode() => _values.Aggregate(17, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value));

    /// <inheritdoc />
    public override string ToString() => string.Join(" ", _values.Where(kv => kv.Value != 0 || !PlacementAxes.Contains(kv.Key)).Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>
    /// Axes that change only where tensors are placed, not what is computed (<c>pad</c>: strided views). The text of a
    /// shape leaves them out while they are 0, so a contiguous case keeps the key (and seed) it had before they existed
    /// and reports stay comparable with older baselines.
    /// </summary>
    public static IReadOnlySet<string> PlacementAxes { get; } = new HashSet<string>(StringComparer.Ordinal) { "pad" };

    private static int ParseInt(string s, string text) =>
        int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0
            ? v
            : throw new FormatException($"'{s}' in '{text}' is not a non-negative integer.");
}
