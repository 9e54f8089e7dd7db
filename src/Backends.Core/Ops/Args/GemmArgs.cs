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
/// <param name="BatchStrideA">Elements between A matrices; 0 when A is shared.</param>
/// <param name="BatchStrideB">Elements between B matrices; 0 when B is shared.</param>
public sealed record GemmArgs(
    TensorView A, TensorView B, TensorView C, int Batch, int M, int N, int K,
    bool TransA, bool TransB, float Alpha, float Beta, long BatchStrideA, long BatchStrideB)
{
    /// <summary>Row stride of A in elements (K, or M when transposed).</summary>
    public int LdA => TransA ? M : K;

    /// <summary>Row stride of B in elements (N, or K when transposed).</summary>
    public int LdB => TransB ? K : N;

    /// <summary>Floating-point operations, 2·batch·M·N·K.</summary>
    public double Flops => 2.0 * Batch * M * N * K;
}
