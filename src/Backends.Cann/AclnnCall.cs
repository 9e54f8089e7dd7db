using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>First phase of an aclnn operator: sizes the workspace and builds the executor.</summary>
/// <param name="workspaceSize">Bytes of workspace the second phase needs.</param>
/// <param name="executor">The executor.</param>
/// <returns>The aclnnStatus.</returns>
internal unsafe delegate int AclnnPhase1(ulong* workspaceSize, nint* executor);

/// <summary>
/// The descriptors of one aclnn call and the generic two-phase runner. Tensors, scalars and tensor lists made through it
/// are destroyed when it is disposed, on every path; an executor whose second phase never ran is destroyed too.
/// </summary>
internal sealed unsafe class AclnnCall : IDisposable
{
    private static readonly ConcurrentDictionary<string, nint> Phase2 = new(StringComparer.Ordinal);

    private readonly CannDevice _device;
    private readonly List<nint> _tensors = [];
    private readonly List<nint> _scalars = [];
    private readonly List<nint> _lists = [];

    public AclnnCall(CannDevice device) => _device = device;

    /// <summary>The aclDataType of a dtype.</summary>
    public static int DataType(DType t) => t switch
    {
        DType.F32 => Aclnn.Float,
        DType.F16 => Aclnn.Float16,
        DType.BF16 => Aclnn.BFloat16,
        DType.I32 => Aclnn.Int32,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no aclDataType for this dtype"),
    };

    /// <summary>A descriptor of a whole view: its shape, the row stride on the outermost dimension, contiguous below.</summary>
    public nint Tensor(TensorView v)
    {
        var dims = new long[v.Rank];
        var strides = new long[v.Rank];
        long s = 1;
        for (int i = v.Rank - 1; i >= 0; i--)
        {
            dims[i] = v.Shape[i];
            strides[i] = s;
            s *= v.Shape[i];
        }

        if (v.Rank >= 2)
        {
            strides[0] = v.RowStride;
        }

        return Tensor(v.Buffer, v.Offset, dims, strides);
    }

    /// <summary>A descriptor of a view of <paramref name="buffer"/> with explicit dims and strides (elements).</summary>
    public nint Tensor(DeviceBuffer buffer, long offset, ReadOnlySpan<long> dims, ReadOnlySpan<long> strides) =>
        Tensor(buffer, offset, dims, strides, DataType(buffer.DType), buffer.DType.SizeInBytes());

    /// <summary>
    /// A descriptor that reads <paramref name="buffer"/> as another element type (an INT64 group list in an I32 scratch
    /// buffer): offset, dims and strides count elements of <paramref name="elementBytes"/> bytes.
    /// </summary>
    public nint Tensor(DeviceBuffer buffer, long offset, ReadOnlySpan<long> dims, ReadOnlySpan<long> strides, int dataType, int elementBytes)
    {
        var b = (CannBuffer)buffer;
        long storage = b.SizeInBytes / elementBytes;
        nint t;
        fixed (long* d = dims, st = strides)
        {
            t = Aclnn.aclCreateTensor(d, (ulong)dims.Length, dataType, st, offset, Aclnn.FormatNd, &storage, 1, b.Address);
        }

        if (t == 0)
        {
            throw new NativeCallException(CannErrors.Backend, -1, "NULL", "aclCreateTensor", CannErrors.RecentMessage());
        }

        _tensors.Add(t);
        return t;
    }

    /// <summary>A float scalar.</summary>
    public nint Scalar(float value)
    {
        nint s = Aclnn.aclCreateScalar(&value, Aclnn.Float);
        if (s == 0)
        {
            throw new NativeCallException(CannErrors.Backend, -1, "NULL", "aclCreateScalar", CannErrors.RecentMessage());
        }

        _scalars.Add(s);
        return s;
    }

    /// <summary>A tensor list of one tensor; the list takes the tensor over (aclDestroyTensorList destroys both).</summary>
    public nint List(nint tensor)
    {
        nint l = Aclnn.aclCreateTensorList(&tensor, 1);
        if (l == 0)
        {
            throw new NativeCallException(CannErrors.Backend, -1, "NULL", "aclCreateTensorList", CannErrors.RecentMessage());
        }

        _tensors.Remove(tensor);
        _lists.Add(l);
        return l;
    }

    /// <summary>
    /// Runs operator <c>aclnn{op}</c>: phase 1 (<paramref name="phase1"/>), a workspace from the device's scratch pool, then
    /// phase 2 on the stream, looked up by name. Failures throw the typed exception; nothing is leaked.
    /// </summary>
    public void Run(CannStream stream, string op, AclnnPhase1 phase1)
    {
        ulong workspaceSize = 0;
        nint executor = 0;
        int rc = phase1(&workspaceSize, &executor);
        if (rc != 0)
        {
            throw CannErrors.Create(rc, $"aclnn{op}GetWorkspaceSize");
        }

        bool launched = false;
        try
        {
            nint run = Phase2.GetOrAdd(op, static (name, lib) => lib.OpExport("aclnn" + name), _device.Library);
            if (run == 0)
            {
                throw new NativeCallException(CannErrors.Backend, -1, "NOT_EXPORTED", "aclnn" + op, $"libopapi.so in {_device.Library.Folder} does not export it");
            }

            ScratchBuffer? ws = workspaceSize > 0 ? _device.Scratch.Rent(stream, DType.I32, checked((long)((workspaceSize + 3) / 4))) : null;
            using (ws)
            {
                nint wsPtr = ws is null ? 0 : ((CannBuffer)ws.View.Buffer).AddressOf(ws.View.Offset);
                launched = true; // the second phase consumes the executor whether or not it succeeds
                rc = ((delegate* unmanaged[Cdecl]<nint, ulong, nint, nint, int>)run)(wsPtr, workspaceSize, executor, stream.Handle);
            }

            if (rc != 0)
            {
                throw CannErrors.Create(rc, "aclnn" + op);
            }
        }
        finally
        {
            if (!launched)
            {
                _ = Aclnn.aclDestroyAclOpExecutor(executor);
            }
        }
    }

    public void Dispose()
    {
        foreach (nint l in _lists)
        {
            _ = Aclnn.aclDestroyTensorList(l);
        }

        foreach (nint t in _tensors)
        {
            _ = Aclnn.aclDestroyTensor(t);
        }

        foreach (nint s in _scalars)
        {
            _ = Aclnn.aclDestroyScalar(s);
        }

        _lists.Clear();
        _tensors.Clear();
        _scalars.Clear();
    }
}
