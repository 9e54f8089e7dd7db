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
        -2048 => "CLBlastNotImplemented",
        -1024 => "CLBlastInvalidLocalMemUsage",
        -1016 => "CLBlastTempBufferTooSmall",
        -2041 => "CLBlastInsufficientMemoryTemp",
        _ => rc < -1000 ? $"CLBlastError{rc}" : ClErrors.Name(rc),
    };

    private UnsupportedOpException Unsupported(OpKind op) => new(_device.Id, op, DType.F32, "the clblast variant only implements Gemm");
}
