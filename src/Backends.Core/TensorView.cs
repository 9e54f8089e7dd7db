using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;

namespace Backends;

/// <summary>
/// A row-major tensor inside a <see cref="DeviceBuffer"/>: the buffer, an element offset, a shape and a row stride.
/// This is what every op takes; shape, dtype and device checks happen against views before any launch.
/// </summary>
/// <remarks>
/// <para>
/// The outermost dimension indexes <em>rows</em>: row r holds every element with first index r (<see cref="RowLength"/>
/// elements, the product of the inner dimensions, always contiguous), and consecutive rows start
/// <see cref="RowStride"/> elements apart. For a matrix [M, N] that is the usual leading dimension (lda); for a batch
/// [B, M, N] it is the distance between matrices. A view made by <see cref="DeviceBuffer.View"/>,
/// <see cref="Device.Allocate"/> or the constructor is contiguous (<c>RowStride == RowLength</c>);
/// <see cref="Columns"/> takes a column block of a matrix, whose rows keep the parent's stride: the gate and up halves
/// of a fused [T, 2F] projection, or Q, K and V of a fused QKV output (then <see cref="Reshape"/> to [T, H, D]), without
/// a copy. Flat element i lives at <c>Offset + (i / RowLength)·RowStride + i mod RowLength</c>.
/// </para>
/// <para>
/// Which ops accept a row-strided view is part of each op's contract (docs/ops.md): Gemm (as lda/ldb/ldc, or the batch
/// stride of a rank-3 operand), grouped GEMM's activations and output, the row ops and the elementwise ops. A device
/// that does not handle a strided call answers it as unsupported (<see cref="UnsupportedOpException"/>, before anything
/// is queued).
/// </para>
/// </remarks>
public sealed class TensorView
{
    /// <summary>Creates a contiguous view.</summary>
    /// <param name="buffer">The buffer.</param>
    /// <param name="offset">Offset of the first element, in elements (not bytes).</param>
    /// <param name="shape">The dimensions, outermost first; none means a scalar.</param>
    /// <exception cref="ArgumentOutOfRangeException">The offset or a dimension is negative, a size overflows, or the view runs past the buffer.</exception>
    public TensorView(DeviceBuffer buffer, long offset, params int[] shape)
        : this(buffer, offset, -1, shape)
    {
    }

    private TensorView(DeviceBuffer buffer, long offset, long rowStride, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        long count = CountElements(shape);
        long rowLength = shape.Length < 2 ? 1 : CountElements(shape.AsSpan(1));
        long rows = shape.Length == 0 ? 1 : shape[0];
        if (rowStride < 0)
        {
            rowStride = rowLength;
        }
        else if (shape.Length < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(shape), "A row stride needs a view of rank ≥ 2 (a row is everything below the outermost dimension).");
        }
        else if (rowStride < rowLength)
        {
            throw new ArgumentOutOfRangeException(nameof(rowStride), rowStride, $"The row stride must be at least the row length {rowLength}.");
        }

        long extent;
        try
        {
            extent = count == 0 ? 0 : checked(((rows - 1) * rowStride) + rowLength);
            if (checked(offset + extent) > buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(shape),
                    $"A view spanning {extent} elements at offset {offset} runs past the end of a buffer of {buffer.Length} elements.");
            }
        }
        catch (OverflowException)
        {
            throw new ArgumentOutOfRangeException(nameof(shape), $"A view of shape [{string.Join(",", shape)}] at offset {offset} overflows 64-bit element indices.");
        }

        Buffer = buffer;
        Offset = offset;
        Shape = [.. shape];
        ElementCount = count;
        RowLength = rowLength;
        RowCount = rows;
        RowStride = rowStride;
        Extent = extent;
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

    /// <summary>Elements per row: the product of every dimension but the outermost (1 for rank 0 and 1).</summary>
    public long RowLength { get; }

    /// <summary>The number of rows: the outermost dimension (1 for a scalar).</summary>
    public long RowCount { get; }

    /// <summary>Elements from the start of one row to the start of the next; <see cref="RowLength"/> when contiguous.</summary>
    public long RowStride { get; }

    /// <summary>Elements from the first to one past the last element of the view: the range of the buffer it spans.</summary>
    public long Extent { get; }

    /// <summary>Whether the elements are consecutive in the buffer (one row, or rows exactly <see cref="RowLength"/> apart).</summary>
    public bool IsContiguous => RowCount <= 1 || RowStride == RowLength;

    /// <summary>The element type.</summary>
    public DType DType => Buffer.DType;

    /// <summary>The owning device.</summary>
    public Device Device => Buffer.Device;

    /// <summary>Offset of the first element in bytes.</summary>
    public long ByteOffset => Offset * DType.SizeInBytes();

    /// <summary>Size of the viewed elements in bytes (not counting the gaps between strided rows).</summary>
    public long SizeInBytes => ElementCount * DType.SizeInBytes();

    /// <summary>Creates a view whose rows lie <paramref name="rowStride"/> elements apart.</summary>
    /// <param name="buffer">The buffer.</param>
    /// <param name="offset">Offset of the first element, in elements.</param>
    /// <param name="rowStride">Elements between the starts of consecutive rows, ≥ the innermost dimension.</param>
    /// <param name="shape">The dimensions, outermost first.</param>
    /// <returns>The view.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset or dimension, a stride shorter than a row, an overflow, or the view runs past the buffer.</exception>
    public static TensorView Strided(DeviceBuffer buffer, long offset, long rowStride, params int[] shape)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowStride);
        return new TensorView(buffer, offset, rowStride, shape);
    }

    /// <summary>Where flat (row-major) element <paramref name="index"/> of the view lies, in elements from <see cref="Offset"/>: <c>(i / RowLength)·RowStride + i mod RowLength</c>.</summary>
    /// <param name="index">The flat index, in [0, <see cref="ElementCount"/>].</param>
    /// <returns>The element offset relative to <see cref="Offset"/>.</returns>
    public long ElementOffset(long index) => IsContiguous ? index : ((index / RowLength) * RowStride) + (index % RowLength);

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

    /// <summary>
    /// The same elements with another shape of the same element count. A row-strided view keeps its rows: the outermost
    /// dimension must stay the same, the inner dimensions may be regrouped ([T, H·D] to [T, H, D]).
    /// </summary>
    /// <param name="shape">The new dimensions.</param>
    /// <returns>The new view.</returns>
    /// <exception cref="ArgumentException">The element count differs, or a strided view's rows would change.</exception>
    public TensorView Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (CountElements(shape) != ElementCount)
        {
            throw new ArgumentException($"Cannot reshape {this} to [{string.Join(",", shape)}]: element counts differ.", nameof(shape));
        }

        if (IsContiguous)
        {
            return new TensorView(Buffer, Offset, shape);
        }

        if (shape.Length < 2 || shape[0] != Shape[0])
        {
            throw new ArgumentException($"Cannot reshape the row-strided {this} to [{string.Join(",", shape)}]: the outermost dimension must stay {Shape[0]}.", nameof(shape));
        }

        return new TensorView(Buffer, Offset, RowStride, shape);
    }

    /// <summary>Rows <paramref name="start"/> .. <paramref name="start"/>+<paramref name="count"/> of the outermost dimension.</summary>
    /// <param name="start">First index of dimension 0.</param>
    /// <param name="count">How many.</param>
    /// <returns>The sub-view (with this view's row stride).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range lies outside dimension 0, or the view is a scalar.</exception>
    public TensorView Slice(int start, int count)
    {
        if (Rank == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(start), "A scalar view cannot be sliced.");
        }

        if (start < 0 || count < 0 || start + (long)count > Shape[0])
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows {start}..{(long)start + count} lie outside dimension 0 of size {Shape[0]}.");
        }

        int[] shape = [.. Shape];
        shape[0] = count;
        return Rank == 1 ? new TensorView(Buffer, Offset + start, shape) : new TensorView(Buffer, Offset + (start * RowStride), RowStride, shape);
    }

    /// <summary>
    /// Columns <paramref name="start"/> .. <paramref name="start"/>+<paramref name="count"/> of a matrix [M, N]: a view
    /// [M, count] with this view's row stride (for example the up half of a fused gate+up output). On a 1-D view, the
    /// elements start .. start+count.
    /// </summary>
    /// <param name="start">First column.</param>
    /// <param name="count">How many columns.</param>
    /// <returns>The column block.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range lies outside the last dimension.</exception>
    /// <exception cref="ArgumentException">The view is a scalar or has rank above 2 (take the block of the matrix, then <see cref="Reshape"/>).</exception>
    public TensorView Columns(int start, int count)
    {
        if (Rank is 0 or > 2)
        {
            throw new ArgumentException($"Columns takes a block of a matrix or a vector, but {this} has rank {Rank}: take the columns of the 2-D view, then reshape.", nameof(start));
        }

        int n = Shape[^1];
        if (start < 0 || count < 0 || start + (long)count > n)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Columns {start}..{(long)start + count} lie outside the last dimension of size {n}.");
        }

        return Rank == 1
            ? new TensorView(Buffer, Offset + start, count)
            : new TensorView(Buffer, Offset + start, RowStride, [Shape[0], count]);
    }

    /// <summary>
    /// Whether the two views may share an element of the same buffer. Exact for contiguous views and for views with
    /// the same row stride (column blocks of one matrix that do not overlap are disjoint); otherwise it answers by the
    /// buffer ranges the views span, which never misses an overlap.
    /// </summary>
    /// <param name="other">The other view.</param>
    /// <returns><see langword="true"/> when they (may) overlap.</returns>
    public bool Overlaps(TensorView other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!ReferenceEquals(Buffer, other.Buffer) || ElementCount == 0 || other.ElementCount == 0 ||
            Offset >= other.Offset + other.Extent || other.Offset >= Offset + Extent)
        {
            return false;
        }

        if (IsContiguous && other.IsContiguous)
        {
            return true;
        }

        // A strided view's elements all lie in its column window [o mod S, o mod S + RowLength) modulo its stride S;
        // a contiguous range of n ≤ S elements lies in a window of n. Disjoint windows mean disjoint elements.
        long s = IsContiguous ? other.RowStride : RowStride;
        if (!IsContiguous && !other.IsContiguous && RowStride != other.RowStride)
        {
            return true; // different strides: answer by the spans alone
        }

        long la = IsContiguous ? Extent : RowLength, lb = other.IsContiguous ? other.Extent : other.RowLength;
        return la >= s || lb >= s || WindowsIntersect(Offset % s, la, other.Offset % s, lb, s);
    }

    /// <summary>Whether the two views cover exactly the same elements with the same shape (an in-place pair).</summary>
    /// <param name="other">The other view.</param>
    /// <returns><see langword="true"/> for the same elements and shape.</returns>
    public bool IsSameAs(TensorView other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(Buffer, other.Buffer) && Offset == other.Offset && Shape.SequenceEqual(other.Shape) &&
               (RowCount <= 1 || RowStride == other.RowStride);
    }

    /// <summary>The shape as text, <c>[2,3]</c>.</summary>
    /// <returns>The text.</returns>
    public string ShapeText() => "[" + string.Join(",", Shape) + "]";

    /// <inheritdoc />
    public override string ToString() =>
        $"{DType.ToShortName()}{ShapeText()}{(IsContiguous ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" (row stride {RowStride})"))} on {Device.Id}+{Offset}";

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

            if (d != 0 && count > long.MaxValue / d)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), $"The element count of [{string.Join(",", shape.ToArray())}] overflows 64 bits.");
            }

            count *= d;
        }

        return count;
    }

    /// <summary>Whether windows [a, a+la) and [b, b+lb) intersect on a circle of circumference s (la, lb ≤ s).</summary>
    private static bool WindowsIntersect(long a, long la, long b, long lb, long s)
    {
        // Unroll the circle: b's window and its copies one turn either side.
        for (long shift = -s; shift <= s; shift += s)
        {
            long b1 = b + shift;
            if (a < b1 + lb && b1 < a + la)
            {
                return true;
            }
        }

        return false;
    }
}
