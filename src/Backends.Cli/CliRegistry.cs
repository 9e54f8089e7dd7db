using Backends.Cpu;
using Backends.OpenCL;

namespace Backends.Cli;

/// <summary>The registry the command uses: every backend this build knows, each probed lazily.</summary>
internal static class CliRegistry
{
    public static BackendRegistry Create() => new BackendRegistry().AddCpu().AddOpenCL();
}
