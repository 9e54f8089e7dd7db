using System;

namespace Backends.OpenCL;

/// <summary>The "clblast" variant: F32 GEMM through CLBlast's SGEMM on the same queue and buffers. Every other op answers Supports = false.</summary>
internal sealed class ClBlastKernels : KernelSet
{
    private readonly OpenCLDevice _device;

    public ClBlastKernels(OpenCLDevice device)
        : base(device, "clblast") => _device = device;

    public override bool Supports(OpKind op, DType dtype) => op == OpKind.Gemm && dtype == DType.F32;

    protected override void GemmCore(DeviceStream stream, GemmArgs a)
    {
        if (a.C.DType != DType.F32)
        {
            throw new UnsupportedOpException(_device.Id, OpKind.Gemm, a.C.DType, "the clblast variant writes f32 C only");
        }

        if (a.K == 0)
        {
            // CLBlast refuses K = 0 (CLBlastInvalidDimension); the contract defines it as C = beta·C, which ours implements.
            _device.Kernels.Gemm(stream, a.A, a.B, a.C, new GemmOptions { TransA = a.TransA, TransB = a.TransB, Alpha = a.Alpha, Beta = a.Beta });
            return;
        }

        var s = (OpenCLStream)stream;
        nint am = ((OpenCLBuffer)a.A.Buffer).Mem.Value, bm = ((OpenCLBuffer)a.B.Buffer).Mem.Value, cm = ((OpenCLBuffer)a.C.Buffer).Mem.Value;
        for (int i = 0; i < a.Batch; i++)
        {
            int rc = ClBlast.Sgemm(a.TransA, a.TransB, a.M, a.N, a.K, a.Alpha,
                am, a.A.Offset + (i * a.BatchStrideA), a.LdA, bm, a.B.Offset + (i * a.BatchStrideB), a.LdB,
                a.Beta, cm, a.C.Offset + ((long)i * a.M * a.N), a.N, s.Queue.Value);
            if (rc != 0)
            {
                throw new NativeCallException("opencl", rc, ClBlastStatus(rc), $"CLBlastSgemm on {_device.Id}");
            }
        }
    }

    protected override void GroupedGemmCore(DeviceStream stream, GroupedGemmArgs a) => throw Unsupported(OpKind.GroupedGemm);

    protected override void SoftmaxCore(DeviceStream stream, SoftmaxArgs a) => throw Unsupported(OpKind.Softmax);

    protected override void RmsNormCore(DeviceStream stream, RmsNormArgs a) => throw Unsupported(OpKind.RmsNorm);

    protected override void SiluCore(DeviceStream stream, UnaryArgs a) => throw Unsupported(OpKind.Silu);

    protected override void SwiGluCore(DeviceStream stream, SwiGluArgs a) => throw Unsupported(OpKind.SwiGlu);

    protected override void AddCore(DeviceStream stream, BinaryArgs a) => throw Unsupported(OpKind.Add);

    protected override void MulCore(DeviceStream stream, BinaryArgs a) => throw Unsupported(OpKind.Mul);

    protected override void RopeCore(DeviceStream stream, RopeArgs a) => throw Unsupported(OpKind.Rope);

    protected override void TopKGatingCore(DeviceStream stream, GatingArgs a) => throw Unsupported(OpKind.TopKGating);

    protected override void MoePermuteCore(DeviceStream stream, PermuteArgs a) => throw Unsupported(OpKind.MoePermute);

    protected override void MoeUnpermuteCore(DeviceStream stream, UnpermuteArgs a) => throw Unsupported(OpKind.MoeUnpermute);

    protected override void CastCore(DeviceStream stream, CastArgs a) => throw Unsupported(OpKind.Cast);

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

    private UnsupportedOpException Unsupported(OpKind op) => new(_device.Id, op, DType.F32, "the clblast variant only implements Gemm");
}
