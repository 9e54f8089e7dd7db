using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Backends.Cuda;

/// <summary>
/// cuBLAS through function pointers resolved from libcublas (12 or 13): found in <c>BACKENDS_CUBLAS_PATH</c> first (on
/// some GPU machines it ships inside Python packages), then by the loader's usual search. Each signature is written from
/// the C prototype beside it. Unavailable (with the names tried) when no library loads; never an exception at probe.
/// </summary>
internal static unsafe class Cublas
{
    public const int CUBLAS_STATUS_SUCCESS = 0;
    public const int CUBLAS_OP_N = 0;
    public const int CUBLAS_OP_T = 1;
    public const int CUDA_R_32F = 0;
    public const int CUDA_R_16F = 2;
    public const int CUDA_R_16BF = 14;
    public const int CUBLAS_COMPUTE_32F = 68;
    public const int CUBLAS_GEMM_DEFAULT = -1;

    /// <summary>The workspace cuBLAS gets per call from the scratch pool (what it uses by default on Hopper).</summary>
    public const long WorkspaceBytes = 32L << 20;

    private static readonly Lazy<(nint Lib, string? Error)> Loaded = new(Load);

    private static readonly PropertyInfo? StreamPtrProperty =
        typeof(ILGPU.Context).Assembly.GetType("ILGPU.Runtime.Cuda.CudaStream")?.GetProperty("StreamPtr", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    /// <summary>Whether libcublas loaded (and ILGPU's CUDA stream handle can be reached).</summary>
    public static bool IsAvailable => Loaded.Value.Error is null;

    /// <summary>Why cuBLAS is unavailable, or null.</summary>
    public static string? UnavailableReason => Loaded.Value.Error;

    /// <summary>The cudaStream_t of an ILGPU CUDA stream (ILGPU keeps the property internal: read by reflection once).</summary>
    public static nint StreamOf(ILGPU.Runtime.AcceleratorStream stream) =>
        StreamPtrProperty is not null && StreamPtrProperty.DeclaringType!.IsInstanceOfType(stream)
            ? (nint)StreamPtrProperty.GetValue(stream)!
            : throw new InvalidOperationException("cuBLAS needs an ILGPU CUDA stream.");

    /// <summary>The cudaStream_t of an ILGPU stream, or null when it is not a CUDA stream.</summary>
    public static nint? TryStreamOf(ILGPU.Runtime.AcceleratorStream stream) =>
        StreamPtrProperty is not null && StreamPtrProperty.DeclaringType!.IsInstanceOfType(stream) ? (nint)StreamPtrProperty.GetValue(stream)! : null;

    /// <summary>cublasStatus_t cublasCreate_v2(cublasHandle_t* handle)</summary>
    public static nint Create()
    {
        nint handle;
        Check(((delegate* unmanaged<nint*, int>)Fn("cublasCreate_v2"))(&handle), "cublasCreate_v2");
        return handle;
    }

    /// <summary>cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)</summary>
    public static void Destroy(nint handle) => ((delegate* unmanaged<nint, int>)Fn("cublasDestroy_v2"))(handle);

    /// <summary>cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)</summary>
    public static void SetStream(nint handle, nint stream) =>
        Check(((delegate* unmanaged<nint, nint, int>)Fn("cublasSetStream_v2"))(handle, stream), "cublasSetStream_v2");

    /// <summary>cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void* workspace, size_t workspaceSizeInBytes)</summary>
    public static void SetWorkspace(nint handle, nint workspace, long bytes) =>
        Check(((delegate* unmanaged<nint, nint, nuint, int>)Fn("cublasSetWorkspace_v2"))(handle, workspace, (nuint)bytes), "cublasSetWorkspace_v2");

    /// <summary>
    /// cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
    /// int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype, int lda, long long int strideA,
    /// const void* B, cudaDataType Btype, int ldb, long long int strideB, const void* beta, void* C, cudaDataType Ctype,
    /// int ldc, long long int strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
    /// </summary>
    public static void GemmStridedBatchedEx(
        nint handle, int transa, int transb, int m, int n, int k, float alpha, nint a, int aType, int lda, long strideA,
        nint b, int bType, int ldb, long strideB, float beta, nint c, int cType, int ldc, long strideC, int batch)
    {
        var fn = (delegate* unmanaged<nint, int, int, int, int, int, float*, nint, int, int, long, nint, int, int, long, float*, nint, int, int, long, int, int, int, int>)
            Fn("cublasGemmStridedBatchedEx");
        int rc = fn(handle, transa, transb, m, n, k, &alpha, a, aType, lda, strideA, b, bType, ldb, strideB, &beta, c, cType, ldc, strideC, batch,
            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        Check(rc, "cublasGemmStridedBatchedEx");
    }

    /// <summary>The cudaDataType of a dtype.</summary>
    public static int DataType(DType t) => t switch
    {
        DType.F32 => CUDA_R_32F,
        DType.F16 => CUDA_R_16F,
        DType.BF16 => CUDA_R_16BF,
        _ => throw new NotSupportedException($"cuBLAS takes no {t}."),
    };

    private static nint Fn(string name) => NativeLibrary.GetExport(Loaded.Value.Lib, name);

    private static void Check(int status, string call)
    {
        if (status != CUBLAS_STATUS_SUCCESS)
        {
            throw new NativeCallException("cuda", status, StatusName(status), call);
        }
    }

    private static string StatusName(int status) => status switch
    {
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus {status}",
    };

    private static (nint, string?) Load()
    {
        if (StreamPtrProperty is null)
        {
            return (0, "this ILGPU version does not expose its CUDA stream handle");
        }

        var tried = new List<string>();
        string[] names = ["libcublas.so.13", "libcublas.so.12", "libcublas.so"];
        string? dir = Environment.GetEnvironmentVariable("BACKENDS_CUBLAS_PATH");
        IEnumerable<string> candidates = string.IsNullOrEmpty(dir) ? names : [.. Array.ConvertAll(names, n => Path.Combine(dir, n)), .. names];
        foreach (string c in candidates)
        {
            tried.Add(c);
            if (NativeLibrary.TryLoad(c, out nint lib) && NativeLibrary.TryGetExport(lib, "cublasGemmStridedBatchedEx", out _))
            {
                return (lib, null);
            }
        }

        return (0, $"libcublas was not found (tried {string.Join(", ", tried)}; set BACKENDS_CUBLAS_PATH to its folder)");
    }
}
