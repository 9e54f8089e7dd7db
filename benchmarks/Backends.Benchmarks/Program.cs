using System.Linq;
using BenchmarkDotNet.Running;

namespace Backends.Benchmarks;

public static class Program
{
    /// <summary>BenchmarkDotNet's switcher; <c>--quick</c> runs a short job (1 warmup, 3 iterations) for smoke runs.</summary>
    public static void Main(string[] args)
    {
        BackendsConfig.Quick = args.Contains("--quick");
        if (BackendsConfig.Quick)
        {
            System.Environment.SetEnvironmentVariable("BACKENDS_BDN_QUICK", "1");
        }

        string[] rest = args.Where(a => a != "--quick").ToArray();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest);
    }
}
