using System;
using System.Threading;
using Backends.Cuda.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Backends.Cuda;

/// <summary>
/// The standard op set on an ILGPU accelerator. Implemented so far: Silu, SwiGlu, Add, Mul and Cast (F32/F16/BF16,
/// row-strided views). Every other op answers unsupported until its kernel lands (docs/cuda.md).
/// </summary>
internal sealed class CudaKernels : KernelSet<CudaDevice, CudaStream, CudaBuffer>
{
    /// <summary>Most threads of one grid-stride launch.</summary>
    private const long MaxThreads = 1 << 20;

    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ElementwiseParams>> _elementwise;
    private readonly Lazy<Action<AcceleratorStream, Index1D, ArrayView<byte>, long, long, int, uint>> _fill;
    private int _loaded;

    public CudaKernels(CudaDevice device)
        : base(device, "ours")
    {
        _elementwise = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<byte>, ArrayView<byte>, ElementwiseParams>(ElementwiseKernels.Run)));
        _fill = new(() => Load(() => device.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, long, long, int, uint>(ElementwiseKernels.Fill)));
    }

    /// <summary>Kernels compiled and loaded so far.</summary>
    public int Loaded => Volatile.Read(ref _loaded);

    protected override bool AcceptsRowStrides(OpKind op) => op is OpKind.Silu or OpKind.SwiGlu or OpKind.Add or OpKind.Mul or OpKind.Cast;

    protected override void SiluCore(CudaStream stream, UnaryArgs a) =>
        Elementwise(stream, ElementwiseKernels.Silu, a.X, null, 1, a.Y, a.Count);

    protected override void SwiGluCore(CudaStream stream, SwiGluArgs a) =>
        Elementwise(stream, ElementwiseKernels.SwiGlu, a.Gate, a.Up, a.Count, a.Y, a.Count);

    protected override void AddCore(CudaStream stream, BinaryArgs a) =>
        Elementwise(stream, ElementwiseKernels.Add, a.A, a.B, a.BCount, a.Y, a.Count);

    protected override void MulCore(CudaStream stream, BinaryArgs a) =>
        Elementwise(stream, ElementwiseKernels.Mul, a.A, a.B, a.BCount, a.Y, a.Count);

    protected override void CastCore(CudaStream stream, CastArgs a) =>
        Elementwise(stream, ElementwiseKernels.Cast, a.X, null, 1, a.Y, a.Count);

    /// <summary>Fills <paramref name="bytes"/> with a 1-, 2- or 4-byte pattern.</summary>
    internal void Fill(CudaStream stream, ArrayView<byte> bytes, int width, uint value)
    {
        long n = bytes.Length / width;
        long threads = Math.Min(Math.Max(n, 1), MaxThreads);
        _fill.Value(stream.Stream, new Index1D((int)threads), bytes, n, threads, width, value);
    }

    private void Elementwise(CudaStream stream, int op, TensorView x, TensorView? b, long bCount, TensorView y, long n)
    {
        TensorView bv = b ?? x; // a valid view when the op has no b; never read
        long threads = Math.Min(n, MaxThreads);
        var p = new ElementwiseParams(Layout(x), Layout(bv), Layout(y), Math.Max(bCount, 1), n, threads, op, Numerics.Code(x.DType), Numerics.Code(y.DType));
        ArrayView<byte> xa = Buffer(x).Bytes, ba = Buffer(bv).Bytes, ya = Buffer(y).Bytes;
        stream.Submit(() => _elementwise.Value(stream.Stream, new Index1D((int)threads), xa, ba, ya, p));
    }

    /// <summary>The layout of a view for <see cref="Numerics.Map"/>.</summary>
    private static ViewLayout Layout(TensorView v) =>
        v.IsContiguous ? new ViewLayout(v.Offset, Math.Max(v.ElementCount, 1), Math.Max(v.ElementCount, 1)) : new ViewLayout(v.Offset, v.RowLength, v.RowStride);

    private T Load<T>(Func<T> load)
    {
        T kernel = load();
        Interlocked.Increment(ref _loaded);
        return kernel;
    }
}
