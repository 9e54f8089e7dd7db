using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;

namespace Backends.OpenCL;

/// <summary>
/// One OpenCL device with its own context. Runs the standard op set from the embedded kernels (built once, cached
/// on disk) and builds user programs with <see cref="BuildProgram"/>.
/// </summary>
public sealed unsafe class OpenCLDevice : Device, IPeakProbe
{
    private readonly ConcurrentDictionary<(string Family, string Options, string Kernel), KernelSlot> _kernels = new();
    private readonly OpenCLKernels _ours;
    private readonly OpenCLKernels _otherReductions;
    private readonly OpenCLKernels _localTiles;
    private readonly ClBlastKernels? _clblast;
    private long _allocatedBytes;

    internal OpenCLDevice(DeviceInfo info, nint platform, nint device)
        : base(info)
    {
        Handle = device;
        nint* props = stackalloc nint[] { ClConst.CL_CONTEXT_PLATFORM, platform, 0 };
        int rc;
        nint ctx = ClApi.Api.CreateContext(props, 1, &device, null, null, &rc);
        ClApi.Check(rc, info.Id, "clCreateContext");
        Context = new ClHandle(ctx, ClHandle.ClKind.Context);
        MaxWorkGroupSize = (int)Math.Min(ClApi.DeviceValue<nuint>(device, ClConst.CL_DEVICE_MAX_WORK_GROUP_SIZE), 1024);
        LocalMemoryBytes = (long)ClApi.DeviceValue<ulong>(device, ClConst.CL_DEVICE_LOCAL_MEM_SIZE);
        MaxAllocationBytes = (long)ClApi.DeviceValue<ulong>(device, ClConst.CL_DEVICE_MAX_MEM_ALLOC_SIZE);
        Programs = new ProgramCache(this);
        _ours = new OpenCLKernels(this, "ours", perRowReductions: IsCpu);
        _otherReductions = new OpenCLKernels(this, IsCpu ? "workgroup-rows" : "per-row", perRowReductions: !IsCpu);
        _localTiles = new OpenCLKernels(this, "local-tiles", perRowReductions: IsCpu, alwaysLocalTiles: true);
        _clblast = ClBlast.IsAvailable ? new ClBlastKernels(this, _ours) : null;
    }

    /// <inheritdoc />
    public override IKernels Kernels => _ours;

    /// <summary>The largest work-group the device accepts (capped at 1024).</summary>
    public int MaxWorkGroupSize { get; }

    /// <summary>Local (shared) memory per work-group, in bytes.</summary>
    public long LocalMemoryBytes { get; }

    /// <summary>The largest single buffer the device allows, in bytes.</summary>
    public long MaxAllocationBytes { get; }

    /// <summary>Programs this process compiled from source (the rest came from the on-disk cache).</summary>
    public int ProgramsBuilt => Programs.BuiltFromSource;

    /// <summary>Programs this process loaded from the on-disk binary cache.</summary>
    public int ProgramsLoadedFromCache => Programs.LoadedFromDisk;

    /// <summary>Where program binaries are cached, or null when no folder is writable.</summary>
    public string? ProgramCacheDirectory => Programs.Directory;

    internal nint Handle { get; }

    internal ClHandle Context { get; }

    internal ProgramCache Programs { get; }

    internal bool IsCpu => Info.Kind == DeviceKind.Cpu;

    /// <inheritdoc />
    public override IReadOnlyList<KeyValuePair<string, string>> Diagnostics =>
    [
        new("programs", $"{ProgramsBuilt} compiled, {ProgramsLoadedFromCache} loaded from the cache"),
        new("allocated", $"{AllocatedBytes} of {Info.MemoryBytes} bytes"),
        new("program cache", ProgramCacheDirectory ?? "none (no writable folder)"),
        new("driver", Info.DriverVersion),
        new("clblast", ClBlast.IsAvailable ? "available (variant \"clblast\")" : $"unavailable: {ClBlast.UnavailableReason}"),
        new("scratch", IsDisposed ? "-" : $"{Scratch.Rentals} rentals, {Scratch.Allocations} allocations, {Scratch.IdleBytes} bytes idle"),
    ];

    /// <inheritdoc />
    public override IReadOnlyList<string> Variants(OpKind op) => op switch
    {
        OpKind.Gemm when _clblast is not null => ["ours", "local-tiles", "clblast"],
        OpKind.Gemm => ["ours", "local-tiles"],
        OpKind.Softmax or OpKind.RmsNorm => ["ours", _otherReductions.Variant],
        _ => ["ours"],
    };

    /// <inheritdoc />
    public override IKernels GetVariant(string variant) => variant switch
    {
        "ours" => _ours,
        _ when variant == _otherReductions.Variant => _otherReductions,
        "local-tiles" => _localTiles,
        "clblast" when _clblast is not null => _clblast,
        "clblast" => throw new ArgumentException($"CLBlast is not available here: {ClBlast.UnavailableReason}", nameof(variant)),
        _ => throw new ArgumentException($"{Id} has no kernel variant '{variant}'; it has: ours, {_otherReductions.Variant}, local-tiles{(_clblast is null ? string.Empty : ", clblast")}.", nameof(variant)),
    };

    /// <inheritdoc />
    public int ScratchElements => PeakItems;

    private int PeakItems => Math.Max(1, Info.ComputeUnits) * (IsCpu ? 4096 : 2048);

    /// <inheritdoc />
    public double QueueFmaBurst(DeviceStream stream, TensorView scratch, int iterations)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(scratch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        if (!ReferenceEquals(stream.Device, this))
        {
            throw new DeviceMismatchException(nameof(stream), Id, stream.Device.Id);
        }

        using StreamUseScope use = stream.EnterUse();
        stream.CheckView(scratch, nameof(scratch));
        if (scratch.DType != DType.F32 || scratch.ElementCount < PeakItems || scratch.Offset != 0)
        {
            throw new ArgumentException($"The scratch must be an f32 buffer's view from offset 0 with at least {PeakItems} elements.", nameof(scratch));
        }

        int local = Math.Min(IsCpu ? 64 : 256, MaxWorkGroupSize);
        Kernel("roofline", string.Empty, "fma_burst").Launch((OpenCLStream)stream, [(nuint)PeakItems], [(nuint)local], KArg.Mem(scratch), iterations);
        return (double)PeakItems * iterations * 8 * 16 * 2;
    }

    /// <summary>
    /// Builds an OpenCL C program from source (cached in memory and on disk like the built-in kernels).
    /// </summary>
    /// <param name="source">OpenCL C source.</param>
    /// <param name="options">Build options (<c>-DNAME=VALUE</c>, <c>-cl-mad-enable</c>).</param>
    /// <returns>The program; dispose it when done (kernels made from it stay valid until they are disposed).</returns>
    /// <exception cref="OpenCLException">The build failed; <see cref="BackendException.NativeMessage"/> holds the options and the build log.</exception>
    public OpenCLProgram BuildProgram(string source, string options = "")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ClHandle program = Programs.Get(source, options);
        return new OpenCLProgram(this, program);
    }

    /// <summary>A built-in kernel: family file, build options, entry point. Created once, then reused under its lock.</summary>
    internal KernelSlot Kernel(string family, string options, string name) =>
        _kernels.GetOrAdd((family, options, name), key =>
        {
            string source = KernelSources.Get(key.Family);
            ClHandle program = Programs.Get(source, key.Options);
            try
            {
                return new KernelSlot(CreateKernel(program, key.Kernel), key.Kernel);
            }
            catch (OpenCLException) when (Programs.CameFromDisk(source, key.Options))
            {
                // A cached binary that is not the program asked for (it lacks the kernel): forget it, build from source.
                Programs.Invalidate(source, key.Options);
                return new KernelSlot(CreateKernel(Programs.Get(source, key.Options), key.Kernel), key.Kernel);
            }
        });

    internal ClHandle CreateKernel(ClHandle program, string name)
    {
        byte[] n = Encoding.ASCII.GetBytes(name + "\0");
        int rc;
        nint k;
        fixed (byte* p = n)
        {
            k = ClApi.Api.CreateKernel(program.Value, p, &rc);
        }

        ClApi.Check(rc, Id, $"clCreateKernel(\"{name}\")");
        return new ClHandle(k, ClHandle.ClKind.Kernel);
    }

    /// <inheritdoc />
    protected override DeviceBuffer AllocateBufferCore(DType dtype, long length)
    {
        long bytes = Math.Max(length * dtype.SizeInBytes(), 4);
        if (bytes > MaxAllocationBytes)
        {
            throw new OutOfDeviceMemoryException(Id, bytes, $"larger than CL_DEVICE_MAX_MEM_ALLOC_SIZE ({MaxAllocationBytes} bytes)");
        }

        // OpenCL allocates lazily: a driver may accept far more than the device has and abort when it is touched
        // (PoCL does). So every buffer is accounted against CL_DEVICE_GLOBAL_MEM_SIZE and refused up front.
        long after = System.Threading.Interlocked.Add(ref _allocatedBytes, bytes);
        if (after > Info.MemoryBytes)
        {
            System.Threading.Interlocked.Add(ref _allocatedBytes, -bytes);
            throw new OutOfDeviceMemoryException(Id, bytes,
                $"{after - bytes} of the device's {Info.MemoryBytes} bytes (CL_DEVICE_GLOBAL_MEM_SIZE) are already allocated");
        }

        try
        {
            int rc;
            nint mem = ClApi.Api.CreateBuffer(Context.Value, (Silk.NET.OpenCL.MemFlags)ClConst.CL_MEM_READ_WRITE, (nuint)bytes, null, &rc);
            if (rc is -4 or -5 or -6 or -61)
            {
                throw new OutOfDeviceMemoryException(Id, bytes, ClErrors.Name(rc));
            }

            ClApi.Check(rc, Id, "clCreateBuffer");
            return new OpenCLBuffer(this, dtype, length, new ClHandle(mem, ClHandle.ClKind.Mem), bytes);
        }
        catch
        {
            System.Threading.Interlocked.Add(ref _allocatedBytes, -bytes);
            throw;
        }
    }

    /// <summary>Bytes of the device's buffers that are allocated now (what the budget counts).</summary>
    public long AllocatedBytes => System.Threading.Interlocked.Read(ref _allocatedBytes);

    internal void ReturnMemory(long bytes) => System.Threading.Interlocked.Add(ref _allocatedBytes, -bytes);

    /// <inheritdoc />
    protected override DeviceStream CreateStreamCore() => new OpenCLStream(this);

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        foreach (KernelSlot k in _kernels.Values)
        {
            k.Handle.Dispose();
        }

        _ours.Dispose();
        _otherReductions.Dispose();
        _localTiles.Dispose();
        Context.Dispose();
    }
}
