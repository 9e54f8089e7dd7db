namespace Backends.Cpu;

/// <summary>Registers the CPU backend.</summary>
public static class CpuRegistryExtensions
{
    /// <summary>Adds the managed CPU backend (<c>cpu:0</c>).</summary>
    /// <param name="registry">The registry.</param>
    /// <returns>The registry, for chaining.</returns>
    public static BackendRegistry AddCpu(this BackendRegistry registry)
    {
        System.ArgumentNullException.ThrowIfNull(registry);
        return registry.Add(new CpuBackend());
    }
}
