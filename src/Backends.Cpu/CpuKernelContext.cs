using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Cpu;

/// <summary>What a custom CPU kernel sees: the memory of the views it declared, as spans.</summary>
public sealed class CpuKernelContext
{
    private readonly IReadOnlyList<TensorView> _views;

    internal CpuKernelContext(IReadOnlyList<TensorView> views) => _views = views;

    /// <summary>The elements of a declared view.</summary>
    /// <typeparam name="T">The element type matching the view's dtype (float, Half, BFloat16, int, sbyte, byte).</typeparam>
    /// <param name="view">A view passed to <see cref="CpuDevice.Launch"/>.</param>
    /// <returns>A span over the view's elements, valid during the kernel.</returns>
    /// <exception cref="ArgumentException">The view was not declared, the type does not match, or it has more than int.MaxValue elements.</exception>
    public unsafe Span<T> Span<T>(TensorView view)
        where T : unmanaged
    {
        CheckDeclared<T>(view);

        if (view.ElementCount > int.MaxValue)
        {
            throw new ArgumentException($"{view} is too large for one span.", nameof(view));
        }

        if (!view.IsContiguous)
        {
            throw new ArgumentException($"{view} is row-strided: reach its rows with Row<T>(view, r).", nameof(view));
        }

        return new Span<T>((void*)CpuKernels.P(view), (int)view.ElementCount);
    }

    /// <summary>One row of a declared view (all elements with outermost index <paramref name="row"/>; see <see cref="TensorView.RowStride"/>).</summary>
    /// <typeparam name="T">The element type matching the view's dtype.</typeparam>
    /// <param name="view">A view passed to <see cref="CpuDevice.Launch"/>.</param>
    /// <param name="row">The row, in [0, <see cref="TensorView.RowCount"/>).</param>
    /// <returns>A span over the row's <see cref="TensorView.RowLength"/> elements, valid during the kernel.</returns>
    /// <exception cref="ArgumentException">The view was not declared, the type does not match, or the row is too long for a span.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The row does not exist.</exception>
    public unsafe Span<T> Row<T>(TensorView view, long row)
        where T : unmanaged
    {
        CheckDeclared<T>(view);

        if (row < 0 || row >= view.RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"{view} has {view.RowCount} rows.");
        }

        if (view.RowLength > int.MaxValue)
        {
            throw new ArgumentException($"A row of {view} is too large for one span.", nameof(view));
        }

        return new Span<T>((T*)CpuKernels.P(view) + (row * view.RowStride), (int)view.RowLength);
    }

    private void CheckDeclared<T>(TensorView view)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(view);
        if (!_views.Any(v => ReferenceEquals(v, view)))
        {
            throw new ArgumentException("The view was not declared when the kernel was launched.", nameof(view));
        }

        if (DTypeExtensions.Of<T>() != view.DType)
        {
            throw new ArgumentException($"{view} holds {view.DType.ToShortName()}, not {typeof(T).Name}.", nameof(view));
        }
    }
}
