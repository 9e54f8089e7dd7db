using System;

namespace Backends.OpenCL;

/// <summary>
/// The "clblast" variant: F32 GEMM (F32 C) through CLBlast's SGEMM on the same queue and buffers, with leading
/// dimensions for row-strided views. Every other op and dtype answers unsupported; K = 0, which CLBlast refuses, is
/// forwarded to our own kernels.
/// </summary>
internal sealed class ClBlastKernels : KernelSet<OpenCLDevice, OpenCLStream, OpenCLBuffer>
{
    private readonly OpenCLKernels _fallback;

    public ClBlastKernels(OpenCLDevice device, OpenCLKernels fallback)
        : base(device, "clblast") => _fallback = fallback;

    public override bool Supports(OpKind op, DType dtype) => op == OpKind.Gemm && dtype == DType.F32;

    protected override bool AcceptsRowStrides(OpKind op) => op == OpKind.Gemm;

    protected override string? WhyUnsupported(OpArgs args) => base.WhyUnsupported(args) ?? args switch
    {
        GemmArgs { C.DType: not DType.F32 } => "the clblast variant writes f32 C only",
        GemmArgs g when g.LdA > int.MaxValue || g.LdB > int.MaxValue || g.LdC > int.MaxValue => "CLBlast takes leading dimensions up to int.MaxValue",
        _ => null,
    };

    protected override void GemmCore(OpenCLStream stream, GemmArgs a)
    {
        if (a.K == 0)
        {
            // CLBlast refuses K = 0 (CLBlastInvalidDimension); the contract defines it as C = beta·C, which ours implements.
            Forward(_fallback, stream, a);
            return;
        }

        nint am = Buffer(a.A).Mem.Value, bm = Buffer(a.B).Mem.Value, cm = Buffer(a.C).Mem.Value;
        for (int i = 0; i < a.Batch; i++)
        {
            int rc = ClBlast.Sgemm(a.TransA, a.TransB, a.M, a.N, a.K, a.Alpha,
                am, a.A.Offset + (i * a.BatchStrideA), (int)a.LdA, bm, a.B.Offset + (i * a.BatchStrideB), (int)a.LdB,
                a.Beta, cm, a.C.Offset + (i * a.BatchStrideC), (int)a.LdC, stream.Queue.Value);
            if (rc != 0)
            {
                throw new NativeCallException("opencl", rc, ClBlastStatus(rc), $"CLBlastSgemm on {Owner.Id}");
            }
        }
    }

    private static string ClBlastStatus(int rc) => rc switch
    {
        -1024 => "CLBlastNotImplemented",
        -1022 => "CLBlastInvalidMatrixA",
        -1021 => "CLBlastInvalidMatrixB",
        -1020 => "CLBlastInvalidMatrixC",
        -1017 => "CLBlastInvalidDimension",
        -1016 => "CLBlastInvalidLeadDimA",
        -1015 => "CLBlastInvalidLeadDimB",
        -1014 => "CLBlastInvalidLeadDimC",
        -1011 => "CLBlastInsufficientMemoryA",
        -1010 => "CLBlastInsufficientMemoryB",
        -1009 => "CLBlastInsufficientMemoryC",
        -2050 => "CLBlastInsufficientMemoryTemp",
        -2046 => "CLBlastInvalidLocalMemUsage",
        -2041 => "CLBlastDatabaseError",
        -2040 => "CLBlastUnknownError",
        -2039 => "CLBlastUnexpectedError",
        _ => ClErrors.Name(rc),
    };
}
