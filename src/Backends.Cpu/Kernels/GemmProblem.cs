namespace Backends.Cpu;

/// <summary>One row-major GEMM on host memory: C[M,N] = alpha·op(A)·op(B) + beta·C (C not read when beta = 0).</summary>
/// <param name="A">Address of A's first element.</param>
/// <param name="B">Address of B's first element.</param>
/// <param name="C">Address of C's first element.</param>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="TransA">A is [K,M].</param>
/// <param name="TransB">B is [N,K].</param>
/// <param name="InType">Dtype of A and B.</param>
/// <param name="CType">Dtype of C.</param>
/// <param name="Alpha">Product multiplier.</param>
/// <param name="Beta">Old-C multiplier.</param>
internal readonly record struct GemmProblem(nint A, nint B, nint C, int M, int N, int K, bool TransA, bool TransB, DType InType, DType CType, float Alpha, float Beta)
{
    public float LoadA(int i, int k) => CpuConvert.Load(InType, A, TransA ? ((long)k * M) + i : ((long)i * K) + k);

    public float LoadB(int k, int j) => CpuConvert.Load(InType, B, TransB ? ((long)j * K) + k : ((long)k * N) + j);
}
