using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.GroupedGemm"/> call.</summary>
/// <param name="A">Rows [R,K].</param>
/// <param name="Weights">[E,N,K] or [E,K,N].</param>
/// <param name="ExpertOffsets">I32 [E+1].</param>
/// <param name="C">Output [R,N].</param>
/// <param name="Rows">R.</param>
/// <param name="N">Output columns.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="Experts">E.</param>
/// <param name="TransB">Weights stored [E,N,K].</param>
public sealed record GroupedGemmArgs(TensorView A, TensorView Weights, TensorView ExpertOffsets, TensorView C, int Rows, int N, int K, int Experts, bool TransB) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.GroupedGemm;

    /// <inheritdoc />
    public override DType DType => A.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands =>
        [new(A, "a", true), new(Weights, "weights", false), new(ExpertOffsets, "expertOffsets", false), new(C, "c", true)];

    /// <summary>Row stride of the activations a, in elements (K when contiguous).</summary>
    public long LdA => A.RowStride;

    /// <summary>Row stride of the output c, in elements (N when contiguous).</summary>
    public long LdC => C.RowStride;
}
