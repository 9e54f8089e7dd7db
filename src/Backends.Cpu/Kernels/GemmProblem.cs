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
/// <param name="LdA">Elements between rows of A as stored (K, or M when transposed, when contiguous).</param>
/// <param name="LdB">Elements between rows of B as stored (N, or K when transposed, when contiguous).</param>
/// <param name="LdC">Elements between rows of C (N when contiguous).</param>
internal readonly record struct GemmProblem(
    nint A, nint B, nint C, int M, int N, int K, bool TransA, bool TransB, DType InType, DType CType, float Alpha, float Beta,
    long LdA, long LdB, long LdC)
{
    /// <summary>A contiguous problem (leading dimensions from the shapes).</summary>
    public GemmProblem(nint a, nint b, nint c, int m, int n, int k, bool transA, bool transB, DType inType, DType cType, float alpha, float beta)
        : this(a, b, c, m, n, k, transA, transB, inType, cType, alpha, beta, transA ? m : k, transB ? k : n, n)
    {
    }

    /// <summary>Rows r0 .. r0+rows of the problem (of A and C), as a problem of its own.</summary>
    public GemmProblem Rows(int r0, int rows) => this with
    {
        A = A + (nint)((TransA ? r0 : r0 * LdA) * InType.SizeInBytes()),
        C = C + (nint)(r0 * LdC * CType.SizeInBytes()),
        M = rows,
    };

    public float LoadA(int i, int k) => CpuConvert.Load(InType, A, TransA ? ((long)k * LdA) + i : ((long)i * LdA) + k);

    public float LoadB(int k, int j) => CpuConvert.Load(InType, B, TransB ? ((long)j * LdB) + k : ((long)k * LdB) + j);
}
