using System;
using System.IO;
using System.Linq;
using Backends.OpenCL;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// Tests that point BACKENDS_CACHE_DIR (one variable for the whole process) at a directory of their own run alone, after
/// the parallel tests: otherwise a program another test builds meanwhile lands in that directory, and a test that counts
/// its entries finds one too many (seen once: "Sequence contains more than one matching element").
/// </summary>
[CollectionDefinition("cache-dir", DisableParallelization = true)]
public sealed class CacheDirCollection
{
}

/// <summary>The OpenCL program cache heals: a damaged, foreign or unreadable entry is rebuilt from source and replaced.</summary>
[Collection("cache-dir")]
public sealed class ProgramCacheHealingTests
{
    private const string Source = "__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; }";

    [Fact]
    public void Entry_RoundTripsThroughItsHeader()
    {
        byte[] binary = [1, 2, 3, 4, 5, 6, 7];
        string key = new('a', 32);
        byte[] file = ProgramCache.Pack(binary, key);
        Assert.True(ProgramCache.TryUnpack(file, key, out ReadOnlySpan<byte> back));
        Assert.Equal(binary, back.ToArray());
        Assert.False(ProgramCache.TryUnpack(file, new string('b', 32), out _));          // stored under another key
        Assert.False(ProgramCache.TryUnpack(file[..^1], key, out _));                     // one byte short
        byte[] flipped = (byte[])file.Clone();
        flipped[^3] ^= 0x40;
        Assert.False(ProgramCache.TryUnpack(flipped, key, out _));                        // one bit off
        Assert.False(ProgramCache.TryUnpack([1, 2, 3], key, out _));                      // not even a header
    }

    [Fact]
    public void TruncatedEntry_IsRebuiltAndReplaced() => WithCache((dir, source) =>
    {
        Build(source);
        string entry = Entries(dir).Single();
        byte[] bytes = File.ReadAllBytes(entry);
        File.WriteAllBytes(entry, bytes[..^1]); // one byte removed: once made the driver abort on every later run
        using var d = Open();
        Run(d, source);
        Assert.Equal(1, d.ProgramsBuilt);

        // Replaced, and by a good entry (the next device loads it). Not compared with the first entry's bytes: PoCL's
        // binary also carries the kernels it has compiled for launches so far, so a rebuild after a launch can be longer.
        Assert.NotEqual(bytes[..^1], File.ReadAllBytes(entry));
        using var again = Open();
        Run(again, source);
        Assert.Equal(1, again.ProgramsLoadedFromCache);
    });

    [Fact]
    public void EntryStoredUnderAnotherKey_IsRebuilt() => WithCache((dir, source) =>
    {
        string other = source.Replace("twice", "thrice", StringComparison.Ordinal).Replace("2.0f", "3.0f", StringComparison.Ordinal);
        Build(source);
        string first = Entries(dir).Single();
        Build(other);
        string second = Entries(dir).Single(e => e != first);
        File.Copy(second, first, overwrite: true); // "thrice" where "twice" should be: once a permanent CL_INVALID_KERNEL_NAME
        using var d = Open();
        Run(d, source);
        Assert.Equal(1, d.ProgramsBuilt);
    });

    [Fact]
    public void DirectoryWhereAnEntryShouldBe_LeavesNoTemporaryFiles() => WithCache((dir, source) =>
    {
        Build(source);
        string entry = Entries(dir).Single();
        File.Delete(entry);
        Directory.CreateDirectory(entry);
        using var d = Open();
        Run(d, source);
        Assert.Equal(1, d.ProgramsBuilt);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(entry)!, "*.tmp"));
    });

    private static string[] Entries(string dir) => Directory.GetFiles(Path.Combine(dir, "opencl"), "*.bin");

    private static OpenCLDevice Open() => (OpenCLDevice)TestDevices.Registry.Open("opencl:0");

    private static void Build(string source)
    {
        using OpenCLDevice d = Open();
        Run(d, source);
    }

    private static void Run(OpenCLDevice d, string source)
    {
        using DeviceStream s = d.CreateStream();
        TensorView v = d.Allocate(DType.F32, 4);
        s.Write<float>(v, [1, 2, 3, 4]);
        using OpenCLProgram p = d.BuildProgram(source);
        string name = source.Contains("thrice", StringComparison.Ordinal) ? "thrice" : "twice";
        using OpenCLKernel k = p.CreateKernel(name);
        k.SetBuffer(0, v.Buffer).Launch(s, [4]);
        float f = name == "thrice" ? 3 : 2;
        Assert.Equal([f, 2 * f, 3 * f, 4 * f], s.Read<float>(v));
    }

    private static void WithCache(Action<string, string> body)
    {
        TestDevices.Get("opencl:0");
        string dir = Path.Combine(Path.GetTempPath(), "backends-cache-heal-" + Guid.NewGuid().ToString("N"));
        string source = Source + $"\n// {Guid.NewGuid()}\n";
        string? old = Environment.GetEnvironmentVariable("BACKENDS_CACHE_DIR");
        try
        {
            Environment.SetEnvironmentVariable("BACKENDS_CACHE_DIR", dir);
            body(dir, source);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BACKENDS_CACHE_DIR", old);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
