using System;
using System.Collections.Concurrent;
using System.IO;
using System.Text;

namespace Backends.OpenCL;

/// <summary>The embedded kernel sources of native/opencl: a family's .cl with common.h inlined in place of its #include.</summary>
internal static class KernelSources
{
    private static readonly ConcurrentDictionary<string, string> Cache = new();

    public static string Get(string family) => Cache.GetOrAdd(family, Load);

    private static string Load(string family)
    {
        string common = Read("common.h");
        string body = Read(family + ".cl");
        var sb = new StringBuilder();
        foreach (string line in body.Split('\n'))
        {
            sb.Append(line.TrimStart().StartsWith("#include \"common.h\"", StringComparison.Ordinal) ? common : line).Append('\n');
        }

        return sb.ToString();
    }

    private static string Read(string file)
    {
        string name = "Backends.OpenCL.Kernels." + file;
        using Stream s = typeof(KernelSources).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded kernel source '{name}' is missing from the build.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
