using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Backends.Cuda;

/// <summary>
/// Finds the CUDA driver library. ILGPU imports it as <c>cuda</c>, which .NET resolves to <c>libcuda.so</c>; machines
/// with only the driver have <c>libcuda.so.1</c>, so that name is mapped here, and the paths tried are reported when
/// nothing loads.
/// </summary>
internal static class CudaLibrary
{
    private static readonly string[] Candidates = OperatingSystem.IsWindows()
        ? ["nvcuda.dll"]
        : ["libcuda.so.1", "libcuda.so", "/usr/local/nvidia/lib64/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1"];

    private static readonly Lazy<(nint Handle, string? Error)> Loaded = new(Load);

    /// <summary>Null when the driver library loads, else why not (with the names tried).</summary>
    public static string? WhyMissing() => Loaded.Value.Error;

    /// <summary>A short description for <c>backends devices</c>.</summary>
    public static string Describe() => Loaded.Value.Error ?? "libcuda loaded";

    /// <summary>The loaded driver library (0 when missing).</summary>
    public static nint Handle => Loaded.Value.Handle;

    private static (nint, string?) Load()
    {
        var tried = new List<string>();
        foreach (string name in Candidates)
        {
            tried.Add(name);
            if (NativeLibrary.TryLoad(name, out nint handle))
            {
                AssemblyLoadContext.Default.ResolvingUnmanagedDll += (Assembly _, string requested) =>
                    requested is "cuda" or "nvcuda" or "libcuda" or "libcuda.so" ? handle : 0;
                return (handle, null);
            }
        }

        return (0, $"the CUDA driver library was not found (tried {string.Join(", ", tried)}); is an NVIDIA driver installed?");
    }
}
