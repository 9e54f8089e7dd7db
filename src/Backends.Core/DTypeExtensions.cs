using System;
using System.Collections.Generic;

namespace Backends;

/// <summary>Facts about <see cref="DType"/> values: sizes, names, the CLR type that holds one element.</summary>
public static class DTypeExtensions
{
    /// <summary>All element types, in declaration order.</summary>
    public static IReadOnlyList<DType> All { get; } = [DType.F32, DType.F16, DType.BF16, DType.I32, DType.I8, DType.U8];

    /// <summary>The floating-point element types (<see cref="DType.F32"/>, <see cref="DType.F16"/>, <see cref="DType.BF16"/>).</summary>
    public static IReadOnlyList<DType> FloatTypes { get; } = [DType.F32, DType.F16, DType.BF16];

    /// <summary>Size of one element in bytes.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>4, 2 or 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static int SizeInBytes(this DType dtype) => dtype switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.I8 or DType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>Whether the type is one of the floating-point types.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns><see langword="true"/> for F32, F16 and BF16.</returns>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.F32 or DType.F16 or DType.BF16;

    /// <summary>The CLR type that holds one element: float, Half, BFloat16, int, sbyte or byte.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The CLR type.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static Type ClrType(this DType dtype) => dtype switch
    {
        DType.F32 => typeof(float),
        DType.F16 => typeof(Half),
        DType.BF16 => typeof(BFloat16),
        DType.I32 => typeof(int),
        DType.I8 => typeof(sbyte),
        DType.U8 => typeof(byte),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The short lower-case name used on the command line and in reports: f32, f16, bf16, i32, i8, u8.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The name.</returns>
    public static string ToShortName(this DType dtype) => dtype switch
    {
        DType.F32 => "f32",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        DType.I32 => "i32",
        DType.I8 => "i8",
        DType.U8 => "u8",
        _ => dtype.ToString(),
    };

    /// <summary>Parses a short name (<c>f32</c>) or an enum name (<c>F32</c>), case-insensitively.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="dtype">The parsed type.</param>
    /// <returns>Whether the text named a type.</returns>
    public static bool TryParse(string? text, out DType dtype)
    {
        foreach (DType t in All)
        {
            if (string.Equals(text, t.ToShortName(), StringComparison.OrdinalIgnoreCase) ||
                string.Equals(text, t.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                dtype = t;
                return true;
            }
        }

        dtype = default;
        return false;
    }

    /// <summary>Parses a short name (<c>f32</c>) or an enum name (<c>F32</c>), case-insensitively.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The parsed type.</returns>
    /// <exception cref="FormatException">The text names no type.</exception>
    public static DType Parse(string text) =>
        TryParse(text, out DType t) ? t : throw new FormatException($"'{text}' is not a dtype; expected one of f32, f16, bf16, i32, i8, u8.");

    /// <summary>The dtype whose elements a CLR type holds.</summary>
    /// <typeparam name="T">float, Half, BFloat16, int, sbyte or byte.</typeparam>
    /// <returns>The matching dtype, or <see langword="null"/> when none matches.</returns>
    public static DType? Of<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.F32;
        if (typeof(T) == typeof(Half)) return DType.F16;
        if (typeof(T) == typeof(BFloat16)) return DType.BF16;
        if (typeof(T) == typeof(int)) return DType.I32;
        if (typeof(T) == typeof(sbyte)) return DType.I8;
        if (typeof(T) == typeof(byte)) return DType.U8;
        return null;
    }
}
