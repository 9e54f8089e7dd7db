using System;
using System.Runtime.InteropServices;

namespace Backends.Benchmarks;

/// <summary>
/// OpenBLAS's <c>cblas_sgemm</c>, for the same-run comparison only: loaded at run time from <c>libopenblas.so.0</c>
/// (Debian: libopenblas0-pthread, which scripts/setup.sh installs); absent means the comparison says so and skips it.
/// </summary>
internal static unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private static readonly nint Lib = Load();

    public static bool IsAvailable => Lib != 0;

    public static string Describe()
    {
        if (Lib == 0)
        {
            return "OpenBLAS not found (apt-get install libopenblas0-pthread)";
        }

        string core = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged[Cdecl]<byte*>)NativeLibrary.GetExport(Lib, "openblas_get_corename"))()) ?? "?";
        string config = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged[Cdecl]<byte*>)NativeLibrary.GetExport(Lib, "openblas_get_config"))()) ?? "?";
        return $"OpenBLAS {config.Trim()}, kernels: {core} (OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "unset"})";
    }

    public static void SetThreads(int threads) =>
        ((delegate* unmanaged[Cdecl]<int, void>)NativeLibrary.GetExport(Lib, "openblas_set_num_threads"))(threads);

    /// <summary>C[M,N] = A[M,K]·B[N,K]ᵀ (row-major, B transposed, as a Linear layer).</summary>
    public static void SgemmNT(int m, int n, int k, float* a, float* b, float* c) =>
        ((delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(Lib, "cblas_sgemm"))(
            RowMajor, NoTrans, Trans, m, n, k, 1f, a, k, b, k, 0f, c, n);

    private static nint Load()
    {
        foreach (string name in new[] { "libopenblas.so.0", "libopenblas.so" })
        {
            if (NativeLibrary.TryLoad(name, out nint h))
            {
                return h;
            }
        }

        return 0;
    }
}
