using System.Linq;
using BenchmarkDotNet.Running;

namespace Backends.Benchmarks;

public static class Program
{
    /// <summary>BenchmarkDotNet's switcher; <c>--quick</c> runs a short job (1 warmup, 3 iterations) for smoke runs. <c>cpu-compare</c> runs the CPU backend beside OpenBLAS and copies (<see cref="CpuCompare"/>).</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "cpu-compare")
        {
            return CpuCompare.Run(args[1..]);
        }

        BackendsConfig.Quick = args.Contains("--quick");
        if (BackendsConfig.Quick)
        {
            System.Environment.SetEnvironmentVariable("BACKENDS_BDN_QUICK", "1");
        }

        string[] rest = args.Where(a => a != "--quick").ToArray();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest);
        return 0;
    }
}
