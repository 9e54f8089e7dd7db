using Backends.Cann;
using Backends.Cpu;
using Backends.Cuda;
using Backends.OpenCL;

namespace Backends;

/// <summary>
/// The one place that knows every backend of this build. <c>BackendRegistry.CreateDefault()</c> is what the
/// <c>backends</c> command, the tests, the benchmarks and the README example use; adding a backend is one line in
/// <see cref="AddAll"/>.
/// </summary>
public static class AllBackends
{
    /// <summary>Registers every backend of this build, in the order <see cref="BackendRegistry.DefaultDevice"/> breaks ties by.</summary>
    /// <param name="registry">The registry.</param>
    /// <returns>The registry, for chaining.</returns>
    public static BackendRegistry AddAll(this BackendRegistry registry)
    {
        System.ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddCpu()
            .AddOpenCL()
            .AddCuda()
            .AddCann();
    }

    extension(BackendRegistry)
    {
        /// <summary>
        /// A registry with every backend this build has (cpu, opencl, cuda, cuda-emu, cann). Each backend is probed lazily and probing
        /// never throws: a missing native library gives an unavailable backend with its reason.
        /// </summary>
        /// <returns>The registry.</returns>
        public static BackendRegistry CreateDefault() => new BackendRegistry().AddAll();
    }
}
