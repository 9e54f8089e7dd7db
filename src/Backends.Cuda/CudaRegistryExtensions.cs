namespace Backends.Cuda;

/// <summary>Registers the CUDA backends.</summary>
public static class CudaRegistryExtensions
{
    /// <summary>Adds <c>cuda</c> (NVIDIA GPUs through ILGPU; unavailable without a driver) and <c>cuda-emu</c> (the same kernels on ILGPU's CPU accelerator).</summary>
    /// <param name="registry">The registry.</param>
    /// <returns>The registry, for chaining.</returns>
    public static BackendRegistry AddCuda(this BackendRegistry registry)
    {
        System.ArgumentNullException.ThrowIfNull(registry);
        return registry.Add(new CudaBackend(emulator: false)).Add(new CudaBackend(emulator: true));
    }
}
