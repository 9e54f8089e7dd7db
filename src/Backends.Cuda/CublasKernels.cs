using System;
using ILGPU;

namespace Backends.Cuda;

/// <summary>
/// The "cublas" variant: GEMM through <c>cublasGemmStridedBatchedEx</c> on the same CUDA stream (F32, F16, BF16 inputs;
/// F32 compute; C in F32 or the input type), its workspace from the device's scratch pool. Row-major C = op(A)·op(B) is
/// computed as the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so A and B swap places and no data moves. Every other op answers
/// unsupported. Written from the cuBLAS prototypes; not yet run on a GPU (docs/cuda.md).
/// </summary>
internal sealed class CublasKernels : KernelSet<CudaDevice, CudaStream, CudaBuffer>, IDisposable
{
    private readonly object _gate = new();
    private nint _handle;

    public CublasKernels(CudaDevice device)
        : base(device, "cublas")
    {
    }

    public override bool Supports(OpKind op, DType dtype) => op == OpKind.Gemm && dtype is DType.F32 or DType.F16 or DType.BF16;

    public void Dispose()
    {
        lock (_gate)
        {
            if (_handle != 0)
            {
                Cublas.Destroy(_handle);
                _handle = 0;
            }
        }
    }

    protected override bool AcceptsRowStrides(OpKind op) => op == OpKind.Gemm;

    protected override string? WhyUnsupported(OpArgs args) => base.WhyUnsupported(args) ?? args switch
    {
        GemmArgs g when g.LdA > int.MaxValue || g.LdB > int.MaxValue || g.LdC > int.MaxValue || g.M > int.MaxValue => "cuBLAS takes int leading dimensions",
        _ => null,
    };

    protected override void GemmCore(CudaStream stream, GemmArgs a)
    {
        nint handle = Handle();
        using ScratchBuffer workspace = Owner.Scratch.Rent(stream, DType.U8, Cublas.WorkspaceBytes);
        Cublas.SetStream(handle, Cublas.StreamOf(stream.Stream));
        Cublas.SetWorkspace(handle, Address(workspace.View), Cublas.WorkspaceBytes);
        int inType = Cublas.DataType(a.A.DType), cType = Cublas.DataType(a.C.DType);

        // Column-major view of row-major data: Cᵀ (N×M, ldc) = op(B)ᵀ (N×K) · op(A)ᵀ (K×M).
        stream.Submit(() => Cublas.GemmStridedBatchedEx(
            handle, a.TransB ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N, a.TransA ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N,
            a.N, a.M, a.K, a.Alpha, Address(a.B), inType, (int)a.LdB, a.BatchStrideB, Address(a.A), inType, (int)a.LdA, a.BatchStrideA,
            a.Beta, Address(a.C), cType, (int)a.LdC, a.BatchStrideC, a.Batch));
    }

    /// <summary>The device address of a view's first element.</summary>
    private static nint Address(TensorView v) => Buffer(v).Address + (nint)v.ByteOffset;

    private nint Handle()
    {
        lock (_gate)
        {
            return _handle != 0 ? _handle : _handle = Cublas.Create();
        }
    }
}
