using System;
using System.Collections.Immutable;
using System.Linq;

namespace Backends;

/// <summary>
/// A contiguous row-major tensor inside a <see cref="DeviceBuffer"/>: the buffer, an element offset and a shape.
/// This is what every op takes; shape, dtype and device checks happen against views before any launch.
/// </summary>
public sealed class TensorView
{
    /// <summary>Creates a view.</summary>
    /// <param name="buffer">The buffer.</param>
    /// <param name="offset">Offset of the first element, in elements (not bytes).</param>
    /// <param name="shape">The dimensions, outermost first; none means a scalar.</param>
    /// <exception cref="ArgumentOutOfRangeException">The offset or a dimension is negative, or the view runs past the buffer.</exception>
    public TensorView(DeviceBuffer buffer, long offset, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        long count = CountElements(shape);
        if (offset + count > buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"A view of {count} elements at offset {offset} runs past the end of a buffer of {buffer.Length} elements.");
        }

        Buffer = buffer;
        Offset = offset;
        Shape = [.. shape];
        ElementCount = count;
    }

    /// <summary>The buffer the view reads and writes.</summary>
    public DeviceBuffer Buffer { get; }

    /// <summary>Offset of the first element within <see cref="Buffer"/>, in elements.</summary>
    public long Offset { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public ImmutableArray<int> Shape { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>The number of elements (product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The element type.</summary>
    public DType DType => Buffer.DType;

    /// <summary>The owning device.</summary>
    public Device Device => Buffer.Device;

    /// <summary>Offset of the first element in bytes.</summary>
    public long ByteOffset => Offset * DType.SizeInBytes();

    /// <summary>Size of the viewed elements in bytes.</summary>
    public long SizeInBytes => ElementCount * DType.SizeInBytes();

    /// <summary>One dimension; negative indices count from the end (-1 is the innermost).</summary>
    /// <param name="axis">The axis.</param>
    /// <returns>The dimension's size.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The axis does not exist.</exception>
    public int Dim(int axis)
    {
        int a = axis < 0 ? Rank + axis : axis;
        if (a < 0 || a >= Rank)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"The view has rank {Rank}.");
        }

        return Shape[a];
    }

    /// <summary>The same elements with another shape of the same element count.</summary>
    /// <param name="shape">The new dimensions.</param>
    /// <returns>The new view.</returns>
    /// <exception cref="ArgumentException">The element count differs.</exception>
    public TensorView Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (CountElements(shape) != ElementCount)
        {
            throw new ArgumentException($"Cannot reshape {this} to [{string.Join(",", shape)}]: element counts differ.", nameof(shape));
        }

        return new TensorView(Buffer, Offset, shape);
    }

    /// <summary>Rows <paramref name="start"/> .. <paramref name="start"/>+<paramref name="count"/> of the outermost dimension.</summary>
    /// <param name="start">First index of dimension 0.</param>
    /// <param name="count">How many.</param>
    /// <returns>The sub-view.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range lies outside dimension 0, or the view is a scalar.</exception>
    public TensorView Slice(int start, int count)
    {
        if (Rank == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(start), "A scalar view cannot be sliced.");
        }

        if (start < 0 || count < 0 || start + (long)count > Shape[0])
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows {start}..{start + count} lie outside dimension 0 of size {Shape[0]}.");
        }

        long inner = Shape[0] == 0 ? 0 : ElementCount / Shape[0];
        int[] shape = [.. Shape];
        shape[0] = count;
        return new TensorView(Buffer, Offset + (start * inner), shape);
    }

    /// <summary>Whether the two views share at least one element of the same buffer.</summary>
    /// <param name="other">The other view.</param>
    /// <returns><see langword="true"/> when they overlap.</returns>
    public bool Overlaps(TensorView other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(Buffer, other.Buffer) && ElementCount > 0 && other.ElementCount > 0 &&
               Offset < other.Offset + other.ElementCount && other.Offset < Offset + ElementCount;
    }

    /// <summary>Whether the two views cover exactly the same elements with the same shape (an in-place pair).</summary>
    /// <param name="other">The other view.</param>
    /// <returns><see langword="true"/> for the same elements and shape.</returns>
    public bool IsSameAs(TensorView other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(Buffer, other.Buffer) && Offset == other.Offset && Shape.SequenceEqual(other.Shape);
    }

    /// <summary>The shape as text, <c>[2,3]</c>.</summary>
    /// <returns>The text.</returns>
    public string ShapeText() => "[" + string.Join(",", Shape) + "]";

    /// <inheritdoc />
    public override string ToString() => $"{DType.ToShortName()}{ShapeText()} on {Device.Id}+{Offset}";

    /// <summary>The product of the dimensions, checked.</summary>
    /// <param name="shape">The dimensions.</param>
    /// <returns>The element count.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or the product overflows.</exception>
    public static long CountElements(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), d, "Dimensions must be ≥ 0.");
            }

            count = checked(count * d);
        }

        return count;
    }
}
