namespace Backends.OpenCL;

/// <summary>Registers the OpenCL backend.</summary>
public static class OpenCLRegistryExtensions
{
    /// <summary>Adds the OpenCL backend (<c>opencl:N</c> for every device of every platform).</summary>
    /// <param name="registry">The registry.</param>
    /// <returns>The registry, for chaining.</returns>
    public static BackendRegistry AddOpenCL(this BackendRegistry registry)
    {
        System.ArgumentNullException.ThrowIfNull(registry);
        return registry.Add(new OpenCLBackend());
    }
}
