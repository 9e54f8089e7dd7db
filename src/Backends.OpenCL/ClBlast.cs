using System;
using System.Runtime.InteropServices;

namespace Backends.OpenCL;

/// <summary>CLBlast (libclblast.so.1), loaded on demand: the reference OpenCL BLAS, offered as the "clblast" GEMM variant.</summary>
internal static unsafe class ClBlast
{
    private static readonly Lazy<(nint Lib, string? Why)> Loaded = new(Load);

    public static bool IsAvailable => Loaded.Value.Lib != 0;

    public static string? UnavailableReason => Loaded.Value.Why;

    /// <summary>CLBlastSgemm(layout, a_transpose, b_transpose, m, n, k, alpha, a, a_offset, a_ld, b, ..., beta, c, c_offset, c_ld, queue*, event*).</summary>
    public static int Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, nint a, long aOff, int lda,
        nint b, long bOff, int ldb, float beta, nint c, long cOff, int ldc, nint queue)
    {
        var fn = (delegate* unmanaged<int, int, int, nuint, nuint, nuint, float, nint, nuint, nuint, nint, nuint, nuint, float, nint, nuint, nuint, nint*, nint*, int>)
            NativeLibrary.GetExport(Loaded.Value.Lib, "CLBlastSgemm");
        const int RowMajor = 101, No = 111, Yes = 112;
        return fn(RowMajor, transA ? Yes : No, transB ? Yes : No, (nuint)m, (nuint)n, (nuint)k, alpha, a, (nuint)aOff, (nuint)lda,
            b, (nuint)bOff, (nuint)ldb, beta, c, (nuint)cOff, (nuint)ldc, &queue, null);
    }

    private static (nint, string?) Load()
    {
        foreach (string name in new[] { "libclblast.so.1", "libclblast.so", "clblast" })
        {
            if (NativeLibrary.TryLoad(name, out nint lib))
            {
                return NativeLibrary.TryGetExport(lib, "CLBlastSgemm", out _) ? (lib, null) : (0, $"{name} has no CLBlastSgemm");
            }
        }

        return (0, "libclblast.so.1 not found (Debian: apt-get install libclblast1)");
    }
}
