using System;

namespace Backends.Tests.MinimalBackend;

/// <summary>
/// One op, Add, for F32/F16/BF16 with row broadcast, contiguous views only (no <see cref="KernelSet.AcceptsRowStrides"/>
/// override, so a strided Add is answered as unsupported per call). Every other op is unsupported by default.
/// </summary>
internal sealed unsafe class MiniKernels : KernelSet<MiniDevice, MiniStream, MiniBuffer>
{
    public MiniKernels(MiniDevice device)
        : base(device, "ours")
    {
    }

    protected override void AddCore(MiniStream stream, BinaryArgs a)
    {
        MiniDevice.RequireBound();
        int size = a.A.DType.SizeInBytes();
        byte* pa = (byte*)Buffer(a.A).Pointer + a.A.ByteOffset, pb = (byte*)Buffer(a.B).Pointer + a.B.ByteOffset, py = (byte*)Buffer(a.Y).Pointer + a.Y.ByteOffset;
        for (long i = 0; i < a.Count; i++)
        {
            float sum = Load(a.A.DType, pa + (i * size)) + Load(a.A.DType, pb + ((i % a.BCount) * size));
            Store(a.Y.DType, py + (i * size), sum);
        }
    }

    private static float Load(DType t, byte* p) => t switch
    {
        DType.F32 => *(float*)p,
        DType.F16 => (float)*(Half*)p,
        _ => (float)*(BFloat16*)p,
    };

    private static void Store(DType t, byte* p, float v)
    {
        switch (t)
        {
            case DType.F32: *(float*)p = v; break;
            case DType.F16: *(Half*)p = (Half)v; break;
            default: *(BFloat16*)p = (BFloat16)v; break;
        }
    }
}
