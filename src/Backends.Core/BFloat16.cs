using System;
using System.Globalization;

namespace Backends;

/// <summary>
/// A bfloat16 value: 1 sign bit, 8 exponent bits, 7 mantissa bits, the upper half of an IEEE binary32.
/// Conversions from <see cref="float"/> and <see cref="double"/> round to nearest, ties to even; NaN stays NaN
/// (made quiet, sign kept); values beyond the largest finite bfloat16 round to infinity.
/// </summary>
/// <remarks>Arithmetic is done by converting to <see cref="float"/>; this type is for storage and transfer.</remarks>
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>, IFormattable
{
    private readonly ushort _bits;

    private BFloat16(ushort bits) => _bits = bits;

    /// <summary>The raw 16-bit pattern.</summary>
    public ushort RawValue => _bits;

    /// <summary>Positive zero.</summary>
    public static BFloat16 Zero => new(0);

    /// <summary>One.</summary>
    public static BFloat16 One => new(0x3F80);

    /// <summary>A quiet NaN.</summary>
    public static BFloat16 NaN => new(0x7FC0);

    /// <summary>Positive infinity.</summary>
    public static BFloat16 PositiveInfinity => new(0x7F80);

    /// <summary>Negative infinity.</summary>
    public static BFloat16 NegativeInfinity => new(0xFF80);

    /// <summary>The largest finite value, about 3.39e38.</summary>
    public static BFloat16 MaxValue => new(0x7F7F);

    /// <summary>The most negative finite value.</summary>
    public static BFloat16 MinValue => new(0xFF7F);

    /// <summary>The spacing between 1 and the next value, 2^-7.</summary>
    public static BFloat16 Epsilon => new(0x3C00);

    /// <summary>Wraps a raw bit pattern.</summary>
    /// <param name="bits">The 16-bit pattern.</param>
    /// <returns>The value with those bits.</returns>
    public static BFloat16 FromRawValue(ushort bits) => new(bits);

    /// <summary>Whether the value is NaN.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> for any NaN pattern.</returns>
    public static bool IsNaN(BFloat16 value) => (value._bits & 0x7FFF) > 0x7F80;

    /// <summary>Whether the value is positive or negative infinity.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> for ±∞.</returns>
    public static bool IsInfinity(BFloat16 value) => (value._bits & 0x7FFF) == 0x7F80;

    /// <summary>Whether the value is finite (neither NaN nor infinite).</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> for finite values.</returns>
    public static bool IsFinite(BFloat16 value) => (value._bits & 0x7F80) != 0x7F80;

    /// <summary>Rounds a binary32 bit pattern to a bfloat16 bit pattern (nearest, ties to even, NaN made quiet).</summary>
    /// <param name="floatBits">The binary32 bits.</param>
    /// <returns>The bfloat16 bits.</returns>
    public static ushort RoundBits(uint floatBits)
    {
        if ((floatBits & 0x7FFFFFFFu) > 0x7F800000u)
        {
            // NaN: keep sign and top payload bits, force the quiet bit so truncation cannot make it infinity.
            return (ushort)((floatBits >> 16) | 0x0040u);
        }

        uint lsb = (floatBits >> 16) & 1u;
        return (ushort)((floatBits + 0x7FFFu + lsb) >> 16);
    }

    /// <summary>Converts a <see cref="float"/>, rounding to nearest, ties to even.</summary>
    /// <param name="value">The value.</param>
    public static explicit operator BFloat16(float value) => new(RoundBits(BitConverter.SingleToUInt32Bits(value)));

    /// <summary>
    /// Converts a <see cref="double"/> with one correct rounding (to nearest, ties to even): the value is first
    /// narrowed to binary32 with round-to-odd, which makes the second rounding exact.
    /// </summary>
    /// <param name="value">The value.</param>
    public static explicit operator BFloat16(double value)
    {
        float f = (float)value;
        if (float.IsFinite(f) && (double)f != value)
        {
            uint bits = BitConverter.SingleToUInt32Bits(f);
            if (Math.Abs((double)f) > Math.Abs(value))
            {
                bits--; // step toward zero: truncation
            }

            f = BitConverter.UInt32BitsToSingle(bits | 1u); // sticky bit: round to odd
        }

        return (BFloat16)f;
    }

    /// <summary>Widens to <see cref="float"/> exactly.</summary>
    /// <param name="value">The value.</param>
    public static explicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value._bits << 16);

    /// <summary>Widens to <see cref="double"/> exactly.</summary>
    /// <param name="value">The value.</param>
    public static explicit operator double(BFloat16 value) => (float)value;

    /// <summary>IEEE equality: NaN is unequal to everything, +0 equals -0.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether the values compare equal.</returns>
    public static bool operator ==(BFloat16 left, BFloat16 right) => (float)left == (float)right;

    /// <summary>IEEE inequality.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether the values compare unequal.</returns>
    public static bool operator !=(BFloat16 left, BFloat16 right) => !(left == right);

    /// <summary>IEEE less-than.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether left &lt; right.</returns>
    public static bool operator <(BFloat16 left, BFloat16 right) => (float)left < (float)right;

    /// <summary>IEEE greater-than.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether left &gt; right.</returns>
    public static bool operator >(BFloat16 left, BFloat16 right) => (float)left > (float)right;

    /// <summary>IEEE less-or-equal.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether left &lt;= right.</returns>
    public static bool operator <=(BFloat16 left, BFloat16 right) => (float)left <= (float)right;

    /// <summary>IEEE greater-or-equal.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether left &gt;= right.</returns>
    public static bool operator >=(BFloat16 left, BFloat16 right) => (float)left >= (float)right;

    /// <summary>Equality as <see cref="float.Equals(float)"/>: NaN equals NaN, +0 equals -0.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>Whether the values are equal.</returns>
    public bool Equals(BFloat16 other) => ((float)this).Equals((float)other);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => ((float)this).GetHashCode();

    /// <summary>Total order as <see cref="float.CompareTo(float)"/> (NaN first).</summary>
    /// <param name="other">The other value.</param>
    /// <returns>Negative, zero or positive.</returns>
    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    /// <inheritdoc />
    public override string ToString() => ((float)this).ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ((float)this).ToString(format, formatProvider);
}
