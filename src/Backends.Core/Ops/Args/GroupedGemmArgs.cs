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
public sealed record GroupedGemmArgs(TensorView A, TensorView Weights, TensorView ExpertOffsets, TensorView C, int Rows, int N, int K, int Experts, bool TransB);
