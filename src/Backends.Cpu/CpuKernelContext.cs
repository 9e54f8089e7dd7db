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
        ArgumentNullException.ThrowIfNull(view);
        if (!_views.Any(v => ReferenceEquals(v, view)))
        {
            throw new ArgumentException("The view was not declared when the kernel was launched.", nameof(view));
        }

        if (DTypeExtensions.Of<T>() != view.DType)
        {
            throw new ArgumentException($"{view} holds {view.DType.ToShortName()}, not {typeof(T).Name}.", nameof(view));
        }

        if (view.ElementCount > int.MaxValue)
        {
            throw new ArgumentException($"{view} is too large for one span.", nameof(view));
        }

        return new Span<T>((void*)CpuKernels.P(view), (int)view.ElementCount);
    }
}
