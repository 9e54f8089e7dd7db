using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Backends.Cann;
using Xunit;

namespace Backends.Tests;

/// <summary>The stand-in's process-wide counters and fault switch: these tests run alone, after the parallel ones.</summary>
[CollectionDefinition("acl-sim", DisableParallelization = true)]
public sealed class AclSimCollection
{
}

/// <summary>
/// The CANN backend's own behaviour against native/cann/acl-sim: availability and the paths tried, the stand-in's
/// identity, error mapping, init/finalize counting, several threads, injected failures (no leaks, a usable device after),
/// custom kernels. The conformance suite runs on cann:0 with every other device (ConformanceTests).
/// </summary>
[Collection("acl-sim")]
public sealed class CannBackendTests
{
    private static Device Cann() => TestDevices.Get("cann:0");

    [Fact]
    public void BufferDisposedDuringACallOnAnotherThread_IsFreedOnlyAfterThatCall()
    {
        // A buffer disposed while another thread is inside a call that uses it: Dispose returns at once, the device
        // memory goes back when the call ends (not under its native work), and the call's later uses are refused.
        var d = (CannDevice)Cann();
        using DeviceStream s = d.CreateStream();
        DeviceBuffer b = d.AllocateBuffer(DType.F32, 1 << 16);
        TensorView v = b.View();
        long held = d.AllocatedBytes;
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Exception? failure = null, nested = null;
        var user = new Thread(() =>
        {
            try
            {
                using (s.EnterUse())
                {
                    s.Fill(v, 1f); // holds the buffer until the scope ends
                    inside.Set();
                    release.Wait(TimeSpan.FromSeconds(30));
                    nested = Record.Exception(() => s.Fill(v, 2f));
                }
            }
#pragma warning disable CA1031 // recorded for the assertion below
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        });
        user.Start();
        inside.Wait();
        b.Dispose();
        Assert.True(b.IsDisposed);
        Assert.Equal(held, d.AllocatedBytes);
        release.Set();
        user.Join();
        Assert.Null(failure);
        Assert.IsType<ObjectDisposedException>(nested);
        Assert.True(d.AllocatedBytes < held, $"{d.AllocatedBytes} bytes still allocated after the call ended (held {held})");
        s.Synchronize();
    }

    [Fact]
    public void NotPointedAt_IsUnavailable_WithThePathsTried()
    {
        string nowhere = Path.Combine(Path.GetTempPath(), "no-ascend-here-" + Guid.NewGuid().ToString("N"));
        var backend = new CannBackend([nowhere]);
        Assert.False(backend.IsAvailable);
        Assert.Contains(Path.Combine(nowhere, "libascendcl.so"), backend.UnavailableReason, StringComparison.Ordinal);
        Assert.Contains("BACKENDS_ASCENDCL_PATH", backend.UnavailableReason, StringComparison.Ordinal);
        Assert.Throws<BackendUnavailableException>(() => backend.Open(0));
    }

    [Fact]
    public void DevicesCommand_WithoutThePath_ShowsCannUnavailable_WithEveryPathTried()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "backends.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing");
        var psi = new ProcessStartInfo("dotnet", [cli, "devices"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("BACKENDS_ASCENDCL_PATH");
        psi.Environment.Remove("ASCEND_TOOLKIT_HOME");
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["COLUMNS"] = "400";
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "backends devices did not finish");
        Assert.Contains("cann", output, StringComparison.Ordinal);
        Assert.Contains(CannLibraryDefault, output.Replace("\n", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private const string CannLibraryDefault = "/usr/local/Ascend/ascend-toolkit/latest/lib64/libascendcl.so";

    [Fact]
    public void StandIn_SaysSo()
    {
        Device d = Cann();
        Assert.Equal(DeviceKind.Emulator, d.Info.Kind);
        Assert.Equal(DevicePriority.Emulator, d.Info.Priority);
        Assert.Contains("acl-sim", d.Info.Name, StringComparison.Ordinal);
        Assert.Contains(d.Info.Facts, kv => kv.Key == "stand-in");
        Assert.True(((CannDevice)d).IsSimulator);
        Assert.NotEqual("cann:0", TestDevices.Registry.DefaultDevice().Id);
        Assert.True(d.Info.MemoryBytes > 0);
    }

    [Fact]
    public void ErrorCodes_HaveTheirNames()
    {
        Assert.Equal("ACL_ERROR_RT_PARAM_INVALID", CannErrors.Name(107000));
        Assert.Equal("ACL_ERROR_RT_MEMORY_ALLOCATION", CannErrors.Name(207001));
        Assert.Equal("ACLNN_ERR_PARAM_INVALID", CannErrors.Name(161002));
        Assert.Equal("ACL_ERROR_RT_AICORE_EXCEPTION", CannErrors.Name(507015));
        Assert.Equal("UNKNOWN_42", CannErrors.Name(42));
        Assert.True(CannErrors.IsOutOfMemory(207018));
    }

    [Fact]
    public void InjectedCopyFailure_IsTyped_WithNameCallAndMessage_AndTheDeviceStaysUsable()
    {
        Device d = Cann();
        using DeviceStream s = d.CreateStream();
        using DeviceBuffer b = d.AllocateBuffer(DType.F32, 64);
        AclSim.InjectFault(AclSim.Fault.Copy, 507000);
        var ex = Assert.Throws<NativeCallException>(() => s.Write<float>(b.View(64), new float[64]));
        Assert.Equal("ACL_ERROR_RT_INTERNAL_ERROR", ex.NativeErrorName);
        Assert.Equal(507000, ex.NativeErrorCode);
        Assert.Contains("aclrtMemcpyAsync", ex.Message, StringComparison.Ordinal);
        float[] data = [.. Enumerable.Range(0, 64).Select(i => (float)i)];
        s.Write<float>(b.View(64), data);
        Assert.Equal(data, s.Read<float>(b.View(64)));
    }

    [Fact]
    public void InjectedAllocationFailure_IsOutOfMemory_AndNothingLeaks()
    {
        Device d = Cann();
        long before = AclSim.LiveCount(AclSim.Live.DeviceAllocations);
        AclSim.InjectFault(AclSim.Fault.Allocation, 207001);
        var ex = Assert.Throws<OutOfDeviceMemoryException>(() => d.AllocateBuffer(DType.F32, 1024));
        Assert.Contains("ACL_ERROR_RT_MEMORY_ALLOCATION", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, AclSim.LiveCount(AclSim.Live.DeviceAllocations));
        using DeviceBuffer ok = d.AllocateBuffer(DType.F32, 1024);
        Assert.Equal(before + 1, AclSim.LiveCount(AclSim.Live.DeviceAllocations));
    }

    [Fact]
    public void InjectedLaunchFailure_LeaksNoDescriptorOrExecutor_AndTheNextCallWorks()
    {
        Device d = Cann();
        using DeviceStream s = d.CreateStream();
        using DeviceBuffer x = d.AllocateBuffer(DType.F32, 8), y = d.AllocateBuffer(DType.F32, 8);
        s.Write<float>(x.View(8), [-2, -1, 0, 1, 2, 3, 4, 5]);
        long objects = AclSim.LiveCount(AclSim.Live.AclnnObjects), executors = AclSim.LiveCount(AclSim.Live.Executors);
        AclSim.InjectFault(AclSim.Fault.Launch, 507015);
        var ex = Assert.Throws<NativeCallException>(() => d.Kernels.Silu(s, x.View(8), y.View(8)));
        Assert.Equal("ACL_ERROR_RT_AICORE_EXCEPTION", ex.NativeErrorName);
        Assert.Contains("aclnnSilu", ex.Message, StringComparison.Ordinal);
        Assert.Equal(objects, AclSim.LiveCount(AclSim.Live.AclnnObjects));
        Assert.Equal(executors, AclSim.LiveCount(AclSim.Live.Executors));
        d.Kernels.Silu(s, x.View(8), y.View(8));
        float[] got = s.Read<float>(y.View(8));
        Assert.Equal(2 / (1 + Math.Exp(-2)), got[4], 5);
    }

    [Fact]
    public void FailureBetweenThePhases_DestroysTheExecutor()
    {
        // A device of its own, so its scratch pool is empty and the GEMM workspace needs an allocation, which fails.
        using Device d = TestDevices.Registry.Open("cann:0");
        using DeviceStream s = d.CreateStream();
        using DeviceBuffer a = d.AllocateBuffer(DType.F32, 16), b = d.AllocateBuffer(DType.F32, 16), c = d.AllocateBuffer(DType.F32, 16);
        long objects = AclSim.LiveCount(AclSim.Live.AclnnObjects), executors = AclSim.LiveCount(AclSim.Live.Executors);
        long allocations = AclSim.LiveCount(AclSim.Live.DeviceAllocations);
        AclSim.InjectFault(AclSim.Fault.Allocation, 207001);
        Assert.Throws<OutOfDeviceMemoryException>(() => d.Kernels.Gemm(s, a.View(4, 4), b.View(4, 4), c.View(4, 4)));
        Assert.Equal(objects, AclSim.LiveCount(AclSim.Live.AclnnObjects));
        Assert.Equal(executors, AclSim.LiveCount(AclSim.Live.Executors));
        Assert.Equal(allocations, AclSim.LiveCount(AclSim.Live.DeviceAllocations));
        d.Kernels.Gemm(s, a.View(4, 4), b.View(4, 4), c.View(4, 4));
        s.Synchronize();
    }

    [Fact]
    public void OpeningAndDisposingDevices_CountsInitAndFinalize()
    {
        long inits = AclSim.Counter(AclSim.Count.Inits), finalizes = AclSim.Counter(AclSim.Count.Finalizes);
        int refs = CannRuntime.References;
        long contexts = AclSim.LiveCount(AclSim.Live.Contexts);
        var registry = new BackendRegistry().AddCann();
        Device one = registry.Open("cann:0"), two = registry.Open("cann:0");
        Assert.Equal(refs + 2, CannRuntime.References);
        Assert.Equal(contexts + 2, AclSim.LiveCount(AclSim.Live.Contexts));
        one.Dispose();
        two.Dispose();
        Assert.Equal(refs, CannRuntime.References);
        Assert.Equal(contexts, AclSim.LiveCount(AclSim.Live.Contexts));

        // aclInit ran exactly once more than aclFinalize while any reference is held, and never twice in a row.
        long i2 = AclSim.Counter(AclSim.Count.Inits), f2 = AclSim.Counter(AclSim.Count.Finalizes);
        Assert.Equal(refs > 0 ? 1 : 0, i2 - f2);
        Assert.Equal(i2 - inits, f2 - finalizes);
        if (refs == 0)
        {
            Assert.True(i2 > inits, "opening a device with no other reference must call aclInit");
        }
        else
        {
            Assert.Equal(inits, i2);
        }
    }

    [Fact]
    public void SeveralThreads_EachBindTheContext_AndGetTheirOwnResults()
    {
        Device d = Cann();
        const int threads = 4, n = 256;
        var errors = new Exception?[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                using DeviceStream s = d.CreateStream();
                using DeviceBuffer a = d.AllocateBuffer(DType.F32, n), b = d.AllocateBuffer(DType.F32, n), y = d.AllocateBuffer(DType.F32, n);
                float[] av = [.. Enumerable.Range(0, n).Select(i => (float)(i + t))];
                float[] bv = [.. Enumerable.Range(0, n).Select(i => (float)(t * 1000))];
                for (int round = 0; round < 20; round++)
                {
                    s.Write<float>(a.View(n), av);
                    s.Write<float>(b.View(n), bv);
                    d.Kernels.Add(s, a.View(n), b.View(n), y.View(n));
                    float[] got = s.Read<float>(y.View(n));
                    for (int i = 0; i < n; i++)
                    {
                        if (got[i] != av[i] + bv[i])
                        {
                            throw new InvalidOperationException($"thread {t} round {round}: y[{i}] = {got[i]}, expected {av[i] + bv[i]}");
                        }
                    }
                }
            }
            catch (Exception ex)
            {
                errors[t] = ex;
            }
        })).ToArray();
        foreach (Thread w in workers)
        {
            w.Start();
        }

        foreach (Thread w in workers)
        {
            w.Join();
        }

        Assert.All(errors, e => Assert.Null(e));
    }

    [Fact]
    public void EventsTime_AndStreamsWaitOnEachOther()
    {
        Device d = Cann();
        using DeviceStream s1 = d.CreateStream(), s2 = d.CreateStream();
        using DeviceBuffer x = d.AllocateBuffer(DType.F32, 1024), y = d.AllocateBuffer(DType.F32, 1024);
        using DeviceEvent start = s1.Record();
        s1.Fill(x.View(1024), 2f);
        d.Kernels.Silu(s1, x.View(1024), x.View(1024));
        using DeviceEvent end = s1.Record();
        s2.Wait(end);
        s2.Copy(x.View(1024), y.View(1024));
        s2.Synchronize();
        Assert.True(end.IsComplete);
        Assert.True(end.ElapsedMillisecondsSince(start) >= 0);
        Assert.All(s2.Read<float>(y.View(1024)), v => Assert.Equal(2 / (1 + Math.Exp(-2)), v, 5));
    }

    [Fact]
    public void CustomKernel_LoadsLaunchesAndRefusesBadUse()
    {
        var d = (CannDevice)Cann();
        string folder = Environment.GetEnvironmentVariable("BACKENDS_ASCENDCL_PATH")!;
        string path = Path.Combine(File.Exists(folder) ? Path.GetDirectoryName(folder)! : folder, "libaclsim_kernels.so");
        const int n = 1000;
        using DeviceStream s = d.CreateStream();
        using DeviceBuffer x = d.AllocateBuffer(DType.F32, n), y = d.AllocateBuffer(DType.F32, n), z = d.AllocateBuffer(DType.F32, n);
        float[] xv = [.. Enumerable.Range(0, n).Select(i => i * 0.5f)], yv = [.. Enumerable.Range(0, n).Select(i => 1f - i)];
        s.Write<float>(x.View(n), xv);
        s.Write<float>(y.View(n), yv);
        long binaries = AclSim.LiveCount(AclSim.Live.Binaries);
        using (CannKernelBinary bin = d.LoadKernelBinary(path))
        {
            Assert.Equal(binaries + 1, AclSim.LiveCount(AclSim.Live.Binaries));
            CannKernel add = bin.GetKernel("aclsim_add_f32");
            Assert.Throws<InvalidOperationException>(() => add.SetBuffer(0, x).SetBuffer(2, z).Launch(s, 4)); // slot 1 unset
            add.SetBuffer(0, x).SetBuffer(1, y).SetBuffer(2, z).SetArg(3, (long)n).Launch(s, 7);
            float[] got = s.Read<float>(z.View(n));
            Assert.Equal(xv.Zip(yv, (p, q) => p + q), got);
            DeviceBuffer gone = d.AllocateBuffer(DType.F32, n);
            add.SetBuffer(2, gone);
            gone.Dispose();
            Assert.Throws<ObjectDisposedException>(() => add.Launch(s, 7)); // disposed since SetBuffer: its address is never passed on
            add.SetArg(2, 0L).SetBuffer(2, z).Launch(s, 7); // a slot set again is checked as it is now
            Assert.Equal(xv.Zip(yv, (p, q) => p + q), s.Read<float>(z.View(n)));
            var missing = Assert.Throws<NativeCallException>(() => bin.GetKernel("no_such_kernel"));
            Assert.Contains("aclrtBinaryGetFunction", missing.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentOutOfRangeException>(() => add.Launch(s, 0));
            bin.Dispose();
            Assert.Throws<ObjectDisposedException>(() => add.Launch(s, 1));
        }

        Assert.Equal(binaries, AclSim.LiveCount(AclSim.Live.Binaries));
        Assert.Throws<FileNotFoundException>(() => d.LoadKernelBinary(path + ".missing"));
    }

    [Fact]
    public void EveryRequiredOp_IsClaimed()
    {
        Device d = Cann();
        foreach (OpKind op in new[] { OpKind.Gemm, OpKind.Softmax, OpKind.RmsNorm, OpKind.Silu, OpKind.SwiGlu, OpKind.Add, OpKind.Mul, OpKind.Cast, OpKind.GroupedGemm })
        {
            foreach (DType t in OpContracts.DataTypes(op))
            {
                Assert.True(d.Supports(op, t), $"cann:0 does not claim {op} {t}");
            }
        }
    }

    [Fact]
    public void AfterAllWork_NoDescriptorOrExecutorIsLeft()
    {
        // Everything the other tests built (they ran before or run after; this collection runs alone) was destroyed.
        Device d = Cann();
        using DeviceStream s = d.CreateStream();
        using DeviceBuffer x = d.AllocateBuffer(DType.F16, 64), y = d.AllocateBuffer(DType.F32, 64);
        d.Kernels.Cast(s, x.View(8, 8), y.View(8, 8));
        s.Synchronize();
        Assert.Equal(0, AclSim.LiveCount(AclSim.Live.AclnnObjects));
        Assert.Equal(0, AclSim.LiveCount(AclSim.Live.Executors));
    }
}

/// <summary>acl-sim's own C smoke test (built with it by build.sh), run in a child process: the stand-in checks itself.</summary>
public sealed class AclSimSmokeTests
{
    [Fact]
    public void AclSim_SmokeTest_Passes()
    {
        // The shared device gate: skipped only when cann:0 is absent, failed when it is required.
        TestDevices.Get("cann:0");
        CannLibrary.Loaded lib = CannLibrary.Current ?? throw new InvalidOperationException("cann:0 opened without a loaded runtime");
        Assert.True(lib.SimulatorIdentity is not null, $"the AscendCL runtime loaded from {lib.Folder} is not acl-sim (this suite's cann tests run on the stand-in)");
        string smoke = Path.Combine(lib.Folder, "tests", "aclsim_smoke");
        Assert.True(File.Exists(smoke), $"{smoke} is missing (native/cann/acl-sim/build.sh builds it)");
        var psi = new ProcessStartInfo(smoke) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "the smoke test did not finish");
        Assert.True(p.ExitCode == 0, $"aclsim_smoke exited {p.ExitCode}:\n{output}");
        Assert.Contains(" 0 failures", output, StringComparison.Ordinal);
    }
}
