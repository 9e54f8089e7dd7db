using System;
using System.Runtime.InteropServices;

namespace Backends.Conformance;

/// <summary>One tensor of an op case on the host: values as float64 (already rounded to the dtype), with the dtype and shape to allocate.</summary>
public sealed class HostTensor
{
    /// <summary>Creates a host tensor.</summary>
    /// <param name="name">The argument name (<c>a</c>, <c>weights</c>).</param>
    /// <param name="dtype">The device dtype.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="role">Input, output or both.</param>
    /// <param name="values">The input values, or the initial (poison) values of an output; rounded to <paramref name="dtype"/> here.</param>
    /// <param name="compare">How an output is checked.</param>
    public HostTensor(string name, DType dtype, int[] shape, TensorRole role, double[] values, CompareMode compare = CompareMode.Norm)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        DType = dtype;
        Shape = shape;
        Role = role;
        Compare = compare;
        if (values.Length != TensorView.CountElements(shape))
        {
            throw new ArgumentException($"Tensor {name}: {values.Length} values for shape [{string.Join(",", shape)}].", nameof(values));
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ReferenceOps.Quantize(values[i], dtype);
        }

        Values = values;
    }

    /// <summary>The argument name.</summary>
    public string Name { get; }

    /// <summary>The device dtype.</summary>
    public DType DType { get; }

    /// <summary>The dimensions.</summary>
    public int[] Shape { get; }

    /// <summary>Input, output or both.</summary>
    public TensorRole Role { get; }

    /// <summary>How an output is checked.</summary>
    public CompareMode Compare { get; }

    /// <summary>Input values, or an output's initial values (poison).</summary>
    public double[] Values { get; }

    /// <summary>Bytes of the tensor's elements on the device (not counting the gaps of a strided placement).</summary>
    public long SizeInBytes => Values.LongLength * DType.SizeInBytes();

    /// <summary>
    /// Elements of padding after each row (outermost index) when the case places the tensor as a row-strided view into a
    /// wider buffer; 0 for a contiguous placement. The gaps hold <see cref="Canary"/> and must be left untouched.
    /// </summary>
    public int RowPadding { get; init; }

    /// <summary>Where the view starts inside its padded row (the column offset of the block), ≤ <see cref="RowPadding"/>.</summary>
    public int ColumnOffset => RowPadding / 2;

    /// <summary>The value written into the gaps around a strided tensor: a kernel that writes there is caught.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>The canary value (exact in every float dtype).</returns>
    public static double Canary(DType dtype) => dtype == DType.I32 ? 0x0BADCAFE : -1234.0;

    /// <summary>The value every output element is filled with before a run, so that unwritten elements show: NaN for floats, a sentinel for integers.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>The poison value.</returns>
    public static double Poison(DType dtype) => dtype switch
    {
        DType.I32 => -0x2152_4111, // 0xDEADBEEF as a signed int: never a valid id, offset or slot
        DType.I8 => -77,
        DType.U8 => 0xAB,
        _ => double.NaN,
    };

    /// <summary>Encodes values in a dtype's device representation.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <param name="values">The values.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Encode(DType dtype, ReadOnlySpan<double> values)
    {
        var bytes = new byte[values.Length * dtype.SizeInBytes()];
        switch (dtype)
        {
            case DType.F32:
                Span<float> f = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
                for (int i = 0; i < values.Length; i++) f[i] = (float)values[i];
                break;
            case DType.F16:
                Span<Half> h = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
                for (int i = 0; i < values.Length; i++) h[i] = (Half)values[i];
                break;
            case DType.BF16:
                Span<BFloat16> b = MemoryMarshal.Cast<byte, BFloat16>(bytes.AsSpan());
                for (int i = 0; i < values.Length; i++) b[i] = (BFloat16)values[i];
                break;
            case DType.I32:
                Span<int> n = MemoryMarshal.Cast<byte, int>(bytes.AsSpan());
                for (int i = 0; i < values.Length; i++) n[i] = (int)values[i];
                break;
            case DType.I8:
                for (int i = 0; i < values.Length; i++) bytes[i] = (byte)(sbyte)values[i];
                break;
            case DType.U8:
                for (int i = 0; i < values.Length; i++) bytes[i] = (byte)values[i];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype));
        }

        return bytes;
    }

    /// <summary>Decodes a dtype's device representation into float64.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The values.</returns>
    public static double[] Decode(DType dtype, ReadOnlySpan<byte> bytes)
    {
        var values = new double[bytes.Length / dtype.SizeInBytes()];
        switch (dtype)
        {
            case DType.F32:
                ReadOnlySpan<float> f = MemoryMarshal.Cast<byte, float>(bytes);
                for (int i = 0; i < values.Length; i++) values[i] = f[i];
                break;
            case DType.F16:
                ReadOnlySpan<Half> h = MemoryMarshal.Cast<byte, Half>(bytes);
                for (int i = 0; i < values.Length; i++) values[i] = (double)h[i];
                break;
            case DType.BF16:
                ReadOnlySpan<BFloat16> b = MemoryMarshal.Cast<byte, BFloat16>(bytes);
                for (int i = 0; i < values.Length; i++) values[i] = (double)b[i];
                break;
            case DType.I32:
                ReadOnlySpan<int> n = MemoryMarshal.Cast<byte, int>(bytes);
                for (int i = 0; i < values.Length; i++) values[i] = n[i];
                break;
            case DType.I8:
                for (int i = 0; i < values.Length; i++) values[i] = (sbyte)bytes[i];
                break;
            case DType.U8:
                for (int i = 0; i < values.Length; i++) values[i] = bytes[i];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype));
        }

        return values;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {DType.ToShortName()}[{string.Join(",", Shape)}] ({Role})";
}
