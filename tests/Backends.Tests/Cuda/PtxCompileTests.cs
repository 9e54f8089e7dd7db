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
        var entry = EntryPointDescription.FromImplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
        string ptx = compiled.PTXAssembly;
        Assert.Contains(".visible .entry", ptx, System.StringComparison.Ordinal);
        Assert.Contains(".target sm_80", ptx, System.StringComparison.Ordinal);
    }

    /// <summary>Every public static method of the kernel classes whose first parameter is a thread index.</summary>
    private static MethodInfo[] KernelMethods() =>
        typeof(ElementwiseKernels).Assembly.GetTypes()
            .Where(t => t.Namespace == "Backends.Cuda.Kernels" && t.Name.EndsWith("Kernels", System.StringComparison.Ordinal))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.GetParameters() is [{ ParameterType: var p }, ..] && p == typeof(Index1D))
            .ToArray();
}
