namespace Backends.Cann;

/// <summary>Registers the CANN backend.</summary>
public static class CannRegistryExtensions
{
    /// <summary>Adds <c>cann</c> (Huawei Ascend NPUs through AscendCL and aclnn; unavailable without CANN or <c>BACKENDS_ASCENDCL_PATH</c>).</summary>
    /// <param name="registry">The registry.</param>
    /// <returns>The registry, for chaining.</returns>
    public static BackendRegistry AddCann(this BackendRegistry registry)
    {
        System.ArgumentNullException.ThrowIfNull(registry);
        return registry.Add(new CannBackend());
    }
}
