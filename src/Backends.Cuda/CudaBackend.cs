using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Backends.Cuda;

/// <summary>
/// The CUDA backend on ILGPU. <c>cuda</c> lists the NVIDIA GPUs ILGPU's CUDA accelerator finds (through libcuda);
/// <c>cuda-emu</c> is one device that runs the very same C# kernels on ILGPU's CPU accelerator, so the kernels are
/// checked where no GPU is present. Probing never throws: no driver makes <c>cuda</c> unavailable with the reason.
/// </summary>
public sealed class CudaBackend : Backend
{
    private readonly bool _emulator;
    private readonly object _gate = new();
    private Context? _context;

    /// <summary>Creates the backend.</summary>
    /// <param name="emulator">True for <c>cuda-emu</c> (ILGPU's CPU accelerator), false for real GPUs.</param>
    public CudaBackend(bool emulator)
        : base(emulator ? "cuda-emu" : "cuda") => _emulator = emulator;

    /// <inheritdoc />
    public override string RuntimeDescription => _emulator
        ? $"ILGPU {typeof(Context).Assembly.GetName().Version} CPU accelerator (the CUDA kernels, emulated)"
        : $"ILGPU {typeof(Context).Assembly.GetName().Version} CUDA accelerator ({CudaLibrary.Describe()})";

    /// <summary>Threads per emulated warp: CUDA's 32, so warp-level code behaves as on a GPU.</summary>
    internal const int EmulatedWarp = 32;

    /// <summary>Warps per emulated group: 8 × 32 = 256 threads, what the tiled kernels need.</summary>
    internal const int EmulatedWarpsPerGroup = 8;

    /// <inheritdoc />
    protected override IReadOnlyList<DeviceInfo> ProbeDevices()
    {
        if (_emulator)
        {
            return [EmulatorInfo()];
        }

        string? missing = CudaLibrary.WhyMissing();
        if (missing is not null)
        {
            throw new BackendUnavailableException(Name, missing);
        }

        Context ctx = GetContext();
        var list = new List<DeviceInfo>();
        var devices = ctx.GetCudaDevices();
        for (int i = 0; i < devices.Count; i++)
        {
            ILGPU.Runtime.Cuda.CudaDevice d = devices[i];
            string C(long v) => v.ToString(CultureInfo.InvariantCulture);
            list.Add(new DeviceInfo
            {
                Id = $"{Name}:{i}",
                Backend = Name,
                Index = i,
                Name = d.Name,
                Vendor = "NVIDIA",
                Kind = DeviceKind.Gpu,
                MemoryBytes = d.MemorySize,
                ComputeUnits = d.NumMultiprocessors,
                DriverVersion = d.DriverVersion.ToString(),
                Priority = DevicePriority.DiscreteGpu,
                Facts =
                [
                    new("compute capability", d.Architecture?.ToString() ?? "unknown"),
                    new("SMs", C(d.NumMultiprocessors)),
                    new("warp", C(d.WarpSize)),
                    new("shared memory per block", C(d.MaxSharedMemoryPerGroup) + " B"),
                    new("memory", C(d.MemorySize) + " B"),
                    new("driver", d.DriverVersion.ToString()),
                    new("PTX ISA", d.InstructionSet?.ToString() ?? "unknown"),
                ],
            });
        }

        if (list.Count == 0)
        {
            throw new BackendUnavailableException(Name, "libcuda loaded, but ILGPU found no CUDA device");
        }

        return list;
    }

    /// <inheritdoc />
    protected override Device OpenCore(DeviceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        Context ctx = GetContext();
        Accelerator accelerator = _emulator
            ? new CPUDevice(EmulatedWarp, EmulatedWarpsPerGroup, Math.Max(1, Environment.ProcessorCount)).CreateCPUAccelerator(ctx, CPUAcceleratorMode.Parallel)
            : ctx.GetCudaDevice(info.Index).CreateAccelerator(ctx);
        return new CudaDevice(info, accelerator, _emulator);
    }

    private DeviceInfo EmulatorInfo() => new()
    {
        Id = Name + ":0",
        Backend = Name,
        Index = 0,
        Name = "ILGPU CPU accelerator (CUDA kernels emulated)",
        Vendor = "ILGPU",
        Kind = DeviceKind.Cpu,
        MemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        ComputeUnits = Environment.ProcessorCount,
        Priority = DevicePriority.Emulator,
        Facts =
        [
            new("warp", EmulatedWarp.ToString(CultureInfo.InvariantCulture)),
            new("threads per group", (EmulatedWarp * EmulatedWarpsPerGroup).ToString(CultureInfo.InvariantCulture)),
            new("mode", "parallel (one OS thread per group thread; barriers work, slowly)"),
            new("purpose", "checks the CUDA kernels without a GPU; not for timing"),
        ],
    };

    private Context GetContext()
    {
        lock (_gate)
        {
            return _context ??= _emulator
                ? Context.Create(b => b.CPU(new CPUDevice(EmulatedWarp, EmulatedWarpsPerGroup, Math.Max(1, Environment.ProcessorCount))).Profiling().EnableAlgorithms())
                : Context.Create(b => b.Cuda().Profiling().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        }
    }
}
