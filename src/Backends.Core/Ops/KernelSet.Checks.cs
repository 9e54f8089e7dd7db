using System;
using System.Linq;

namespace Backends;

/// <content>Small checks the validators are made of; each throws with a message naming the op and argument.</content>
public abstract partial class KernelSet
{
    /// <summary>Throws unless the stream is usable and belongs to this device.</summary>
    /// <param name="stream">The stream.</param>
    protected void CheckStream(DeviceStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ObjectDisposedException.ThrowIf(stream.IsDisposed, stream);
        ObjectDisposedException.ThrowIf(Device.IsDisposed, Device);
        if (!ReferenceEquals(stream.Device, Device))
        {
            throw new DeviceMismatchException(nameof(stream), Device.Id, stream.Device.Id);
        }
    }

    private static void CheckViews(DeviceStream stream, params (TensorView? View, string Name)[] views)
    {
        foreach ((TensorView? v, string name) in views)
        {
            ArgumentNullException.ThrowIfNull(v, name);
            stream.CheckView(v, name);
        }
    }

    private void RequireSupported(OpKind op, DType dtype)
    {
        if (!Supports(op, dtype))
        {
            throw new UnsupportedOpException(Device.Id, op, dtype);
        }
    }

    private static void RequireDType(string op, TensorView v, DType dtype, string name)
    {
        if (v.DType != dtype)
        {
            throw new ArgumentException($"{op}: {name} must be {dtype.ToShortName()} but is {v}.", name);
        }
    }

    private static void RequireRank(string op, TensorView v, string name, int min, int max)
    {
        if (v.Rank < min || v.Rank > max)
        {
            string want = min == max ? $"rank {min}" : max == int.MaxValue ? $"rank ≥ {min}" : $"rank {min}..{max}";
            throw new ArgumentException($"{op}: {name} must have {want} but is {v}.", name);
        }
    }

    private static void RequireShape(string op, TensorView v, string name, params int[] shape)
    {
        if (!v.Shape.SequenceEqual(shape))
        {
            throw new ArgumentException($"{op}: {name} must be [{string.Join(",", shape)}] but is {v}.", name);
        }
    }

    private static void RequireSameShapeAndType(string op, TensorView v, string name, TensorView like)
    {
        if (v.DType != like.DType || !v.Shape.SequenceEqual(like.Shape))
        {
            throw new ArgumentException($"{op}: {name} must be {like.DType.ToShortName()}{like.ShapeText()} like the input but is {v}.", name);
        }
    }

    private static long BatchStride(string op, TensorView v, string name, int batch)
    {
        if (v.Rank == 2)
        {
            return 0;
        }

        int vb = v.Dim(0);
        if (vb == batch)
        {
            return batch == 1 ? 0 : v.RowStride; // a rank-3 view's rows are its matrices
        }

        if (vb == 1)
        {
            return 0;
        }

        throw new ArgumentException($"{op}: {name} has batch {vb} but c has batch {batch}; use batch {batch}, 1 or rank 2.", name);
    }

    private static void RequireDisjoint(string op, TensorView output, string outputName, params (TensorView View, string Name)[] others)
    {
        foreach ((TensorView v, string name) in others)
        {
            if (output.Overlaps(v))
            {
                throw new ArgumentException($"{op}: {outputName} ({output}) overlaps {name} ({v}); they must be disjoint.", outputName);
            }
        }
    }

    private static void RequireSameOrDisjoint(string op, TensorView output, string outputName, params (TensorView View, string Name)[] inputs)
    {
        foreach ((TensorView v, string name) in inputs)
        {
            if (output.Overlaps(v) && !output.IsSameAs(v))
            {
                throw new ArgumentException($"{op}: {outputName} ({output}) partly overlaps {name} ({v}); only an identical in-place view is allowed.", outputName);
            }
        }
    }
}
