using System.Linq;
using System.Reflection;
using Backends.Cuda.Kernels;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace Backends.Tests;

/// <summary>Every CUDA kernel compiles to PTX without a GPU (ILGPU's PTX backend), with its entry point.</summary>
public sealed class PtxCompileTests
{
    public static TheoryData<string> Kernels() => [.. KernelMethods().Select(m => m.DeclaringType!.Name + "." + m.Name)];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_CompilesToPtx(string name)
    {
        MethodInfo method = KernelMethods().Single(m => m.DeclaringType!.Name + "." + m.Name == name);
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, null!);
        bool implicitlyGrouped = method.GetParameters()[0].ParameterType == typeof(Index1D);
        var entry = implicitlyGrouped ? EntryPointDescription.FromImplicitlyGroupedKernel(method) : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
        string ptx = compiled.PTXAssembly;
        Assert.Contains(".visible .entry", ptx, System.StringComparison.Ordinal);
        Assert.Contains(".target sm_80", ptx, System.StringComparison.Ordinal);
        if (method.DeclaringType == typeof(RowKernels) || method.DeclaringType == typeof(GatingKernels))
        {
            Assert.Contains("shfl.sync", ptx, System.StringComparison.Ordinal); // warp-level reductions
        }

        if (method.Name == nameof(GemmKernels.Tiled))
        {
            Assert.Contains(".shared", ptx, System.StringComparison.Ordinal);   // tiles staged in shared memory
            Assert.Contains("bar.sync", ptx, System.StringComparison.Ordinal);  // group barriers between the stages
        }
    }

    /// <summary>Every public static void method of the kernel classes: implicitly grouped (thread index first) or explicitly grouped (a view first).</summary>
    private static MethodInfo[] KernelMethods() =>
        typeof(ElementwiseKernels).Assembly.GetTypes()
            .Where(t => t.Namespace == "Backends.Cuda.Kernels" && t.Name.EndsWith("Kernels", System.StringComparison.Ordinal))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.ReturnType == typeof(void) && m.GetParameters() is [{ ParameterType: var p }, ..] &&
                        (p == typeof(Index1D) || (p.IsGenericType && p.GetGenericTypeDefinition() == typeof(ArrayView<>))))
            .ToArray();

    [Fact]
    public void EveryKernelClass_IsCovered() =>
        Assert.True(KernelMethods().Length >= 13, string.Join(", ", KernelMethods().Select(m => m.Name)));
}
