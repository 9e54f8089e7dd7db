using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.Gemm"/> call: views plus resolved dimensions and strides (elements).</summary>
/// <param name="A">A.</param>
/// <param name="B">B.</param>
/// <param name="C">C.</param>
/// <param name="Batch">Number of C matrices.</param>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="TransA">A stored [K,M].</param>
/// <param name="TransB">B stored [N,K].</param>
/// <param name="Alpha">Product multiplier.</param>
/// <param name="Beta">Old-C multiplier (C not read when 0).</param>
/// <param name="BatchStrideA">Elements between A matrices (a rank-3 A's row stride); 0 when A is shared.</param>
/// <param name="BatchStrideB">Elements between B matrices; 0 when B is shared.</param>
public sealed record GemmArgs(
    TensorView A, TensorView B, TensorView C, int Batch, int M, int N, int K,
    bool TransA, bool TransB, float Alpha, float Beta, long BatchStrideA, long BatchStrideB) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.Gemm;

    /// <inheritdoc />
    public override DType DType => A.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands => [new(A, "a", true), new(B, "b", true), new(C, "c", true)];

    /// <summary>Leading dimension of A as stored, in elements: a matrix's row stride (K, or M when transposed, unless strided); within a rank-3 batch, its last dimension.</summary>
    public long LdA => Ld(A);

    /// <summary>Leading dimension of B as stored, in elements (N, or K when transposed, unless a 2-D B is strided).</summary>
    public long LdB => Ld(B);

    /// <summary>Leading dimension of C, in elements (N unless a 2-D C is strided).</summary>
    public long LdC => Ld(C);

    /// <summary>Elements between C matrices (a rank-3 C's row stride; M·N when contiguous).</summary>
    public long BatchStrideC => C.Rank == 3 ? C.RowStride : (long)M * N;

    private static long Ld(TensorView v) => v.Rank == 2 ? v.RowStride : v.Dim(-1);

    /// <summary>Floating-point operations, 2·batch·M·N·K.</summary>
    public double Flops => 2.0 * Batch * M * N * K;
}
