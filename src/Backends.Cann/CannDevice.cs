using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>
/// One Ascend device (<c>cann:N</c>): an AscendCL context of its own, bound on the calling thread by every public call
/// (AscendCL's current context is per thread); <c>aclrtMalloc</c> buffers; streams with pinned staging for host copies;
/// the op set through aclnn; custom AscendC kernels through <see cref="LoadKernelBinary"/>.
/// </summary>
public sealed unsafe class CannDevice : Device
{
    private readonly CannKernels _kernels;
    private readonly nint _context;
    private long _allocatedBytes;
    private int _released;

    private CannDevice(DeviceInfo info, CannLibrary.Loaded library, nint context)
        : base(info)
    {
        Library = library;
        _context = context;
        _kernels = new CannKernels(this);
    }

    /// <inheritdoc />
    public override IKernels Kernels => _kernels;

    /// <summary>Whether this device is the acl-sim stand-in rather than Ascend hardware.</summary>
    public bool IsSimulator => Library.SimulatorIdentity is not null;

    /// <summary>Bytes of this device's buffers allocated now.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>The AscendCL context (<c>aclrtContext</c>) of this device.</summary>
    public nint Context => _context;

    internal CannLibrary.Loaded Library { get; }

    /// <inheritdoc />
    public override IReadOnlyList<KeyValuePair<string, string>> Diagnostics
    {
        get
        {
            var list = new List<KeyValuePair<string, string>>
            {
                new("runtime", Library.RuntimePath),
                new("allocated", AllocatedBytes.ToString(CultureInfo.InvariantCulture) + " bytes"),
                new("aclnn operators", _kernels.OperatorSummary),
                new("scratch", IsDisposed ? "-" : $"{Scratch.Rentals} rentals, {Scratch.Allocations} allocations, {Scratch.IdleBytes} bytes idle"),
            };
            if (!IsDisposed)
            {
                using DeviceContextScope scope = EnterContext();
                nuint free = 0, total = 0;
                if (Acl.aclrtGetMemInfo(Acl.HbmMemory, &free, &total) == 0)
                {
                    list.Add(new("HBM free", $"{free} of {total} bytes"));
                }
            }

            if (IsSimulator)
            {
                list.Add(new("stand-in", Library.SimulatorIdentity!));
            }

            return list;
        }
    }

    /// <summary>
    /// Loads a compiled AscendC kernel binary (<c>aclrtBinaryLoadFromFile</c>); its kernels are then launched with
    /// <see cref="CannKernelBinary.GetKernel"/>. On the stand-in a "binary" is a host shared library (native/cann/acl-sim).
    /// </summary>
    /// <param name="path">The binary file.</param>
    /// <returns>The loaded binary; dispose it to unload.</returns>
    public CannKernelBinary LoadKernelBinary(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!System.IO.File.Exists(path))
        {
            throw new System.IO.FileNotFoundException($"No kernel binary at {path}.", path);
        }

        using DeviceContextScope scope = EnterContext();
        nint handle = 0;
        CannErrors.Check(Acl.aclrtBinaryLoadFromFile(path, 0, &handle), "aclrtBinaryLoadFromFile");
        return new CannKernelBinary(this, handle, path);
    }

    internal static CannDevice Open(DeviceInfo info, CannLibrary.Loaded library)
    {
        CannRuntime.Acquire();
        nint previous = 0;
        _ = Acl.aclrtGetCurrentContext(&previous);
        bool deviceSet = false;
        try
        {
            CannErrors.Check(Acl.aclrtSetDevice(info.Index), "aclrtSetDevice");
            deviceSet = true;
            nint context = 0;
            CannErrors.Check(Acl.aclrtCreateContext(&context, info.Index), "aclrtCreateContext");
            if (previous != 0)
            {
                _ = Acl.aclrtSetCurrentContext(previous);
            }

            return new CannDevice(info, library, context);
        }
        catch
        {
            if (deviceSet)
            {
                _ = Acl.aclrtResetDevice(info.Index);
            }

            CannRuntime.Release();
            throw;
        }
    }

    /// <inheritdoc />
    protected override bool BindsContext => true;

    /// <inheritdoc />
    protected override nint EnterContextCore()
    {
        nint previous = 0;
        if (Acl.aclrtGetCurrentContext(&previous) != 0)
        {
            previous = 0;
        }

        if (previous != _context)
        {
            CannErrors.Check(Acl.aclrtSetCurrentContext(_context), "aclrtSetCurrentContext");
        }

        return previous;
    }

    /// <inheritdoc />
    protected override void ExitContextCore(nint token)
    {
        if (token != 0 && token != _context)
        {
            _ = Acl.aclrtSetCurrentContext(token);
        }
    }

    /// <inheritdoc />
    protected override DeviceBuffer AllocateBufferCore(DType dtype, long length)
    {
        // aclrtMalloc refuses size 0 and rounds up to 32 bytes; an empty buffer still gets 32.
        long bytes = Math.Max(checked(length * dtype.SizeInBytes()), 32);
        nint p = 0;
        int rc = Acl.aclrtMalloc(&p, (nuint)bytes, Acl.MallocHugeFirst);
        if (rc != 0)
        {
            throw CannErrors.Create(rc, "aclrtMalloc", bytes, Id);
        }

        Interlocked.Add(ref _allocatedBytes, bytes);
        return new CannBuffer(this, dtype, length, p, bytes);
    }

    /// <inheritdoc />
    protected override DeviceStream CreateStreamCore()
    {
        nint s = 0;
        CannErrors.Check(Acl.aclrtCreateStream(&s), "aclrtCreateStream");
        return new CannStream(this, s);
    }

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        try
        {
            _ = Acl.aclrtSynchronizeDevice();
            CannErrors.Check(Acl.aclrtDestroyContext(_context), "aclrtDestroyContext");
            CannErrors.Check(Acl.aclrtResetDevice(Info.Index), "aclrtResetDevice");
        }
        finally
        {
            CannRuntime.Release();
        }
    }

    internal void ReturnMemory(long bytes) => Interlocked.Add(ref _allocatedBytes, -bytes);
}
