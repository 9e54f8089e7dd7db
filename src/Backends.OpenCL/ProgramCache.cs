using System;
using System.Collections.Concurrent;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace Backends.OpenCL;

/// <summary>
/// Builds each program once per (source, build options, device, driver version) and keeps it: in memory for this
/// process, and as a program binary on disk (<c>$BACKENDS_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/backends/opencl</c>,
/// else <c>~/.cache/backends/opencl</c>) so the next process skips the compiler. A binary that fails to load is
/// rebuilt from source and replaced.
/// </summary>
internal sealed unsafe class ProgramCache
{
    private readonly OpenCLDevice _device;
    private readonly ConcurrentDictionary<string, Lazy<ClHandle>> _programs = new();
    private const int FormatVersion = 2;
    private const int KeyBytes = 32;
    private const int HeaderBytes = 4 + 4 + KeyBytes + 8 + 32;
    private static readonly byte[] Magic = "BKCL"u8.ToArray();
    private readonly ConcurrentDictionary<string, bool> _fromDisk = new();
    private readonly string? _dir;
    private int _built;
    private int _loaded;

    public ProgramCache(OpenCLDevice device)
    {
        _device = device;
        _dir = CacheDirectory();
    }

    /// <summary>Programs compiled from source by this process.</summary>
    public int BuiltFromSource => _built;

    /// <summary>Programs loaded from on-disk binaries by this process.</summary>
    public int LoadedFromDisk => _loaded;

    /// <summary>The cache folder, or null when none is writable.</summary>
    public string? Directory => _dir;

    public ClHandle Get(string source, string options)
    {
        string key = Key(source, options);
        return _programs.GetOrAdd(key, k => new Lazy<ClHandle>(() => Create(k, source, options), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    private static string? CacheDirectory()
    {
        string? dir = Environment.GetEnvironmentVariable("BACKENDS_CACHE_DIR");
        if (string.IsNullOrEmpty(dir))
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            string root = !string.IsNullOrEmpty(xdg) ? xdg : string.IsNullOrEmpty(home) ? Path.GetTempPath() : Path.Combine(home, ".cache");
            dir = Path.Combine(root, "backends", "opencl");
        }
        else
        {
            dir = Path.Combine(dir, "opencl");
        }

        try
        {
            System.IO.Directory.CreateDirectory(dir);
            return dir;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // no disk cache: programs are still cached in memory
        }
    }

    private string Key(string source, string options)
    {
        string identity = string.Join("\n", source, options, _device.Info.Name, _device.Info.Vendor, _device.Info.DriverVersion,
            _device.Info.Facts.Count > 0 ? _device.Info.Facts[0].Value : string.Empty);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32];
    }

    /// <summary>
    /// Forgets a program (in memory and on disk) so the next <see cref="Get"/> builds it from source: what a caller does
    /// when a program loaded from the cache turns out not to be the one asked for (a kernel name it lacks).
    /// </summary>
    public void Invalidate(string source, string options)
    {
        string key = Key(source, options);
        _programs.TryRemove(key, out _);
        if (_dir is not null)
        {
            TryDelete(Path.Combine(_dir, key + ".bin"));
        }
    }

    /// <summary>Whether the program of (source, options) was loaded from disk by this process.</summary>
    public bool CameFromDisk(string source, string options) => _fromDisk.ContainsKey(Key(source, options));

    private ClHandle Create(string key, string source, string options)
    {
        string? path = _dir is null ? null : Path.Combine(_dir, key + ".bin");
        if (path is not null && File.Exists(path))
        {
            ClHandle? loaded = TryLoad(path, key, options);
            if (loaded is not null)
            {
                Interlocked.Increment(ref _loaded);
                _fromDisk[key] = true;
                return loaded;
            }
        }

        ClHandle program = BuildFromSource(source, options);
        Interlocked.Increment(ref _built);
        _fromDisk.TryRemove(key, out _);
        if (path is not null)
        {
            Save(program, path, key);
        }

        return program;
    }

    private ClHandle BuildFromSource(string source, string options)
    {
        byte[] src = Encoding.UTF8.GetBytes(source);
        int rc;
        nint program;
        fixed (byte* s = src)
        {
            byte* strings = s;
            nuint length = (nuint)src.Length;
            program = ClApi.Api.CreateProgramWithSource(_device.Context.Value, 1, &strings, &length, &rc);
        }

        ClApi.Check(rc, _device.Id, "clCreateProgramWithSource");
        var handle = new ClHandle(program, ClHandle.ClKind.Program);
        Build(handle, options, fromBinary: false);
        return handle;
    }

    /// <summary>
    /// Loads a cache entry, or returns null (deleting the entry) when anything is off: wrong magic or version, another
    /// key, a length or SHA-256 that does not match the bytes, or a driver that refuses the binary. Nothing unverified
    /// reaches the driver (a truncated binary can make a driver abort the process).
    /// </summary>
    private ClHandle? TryLoad(string path, string key, string options)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (!TryUnpack(file, key, out ReadOnlySpan<byte> binary))
        {
            TryDelete(path);
            return null;
        }

        int rc, status;
        nint program;
        nint dev = _device.Handle;
        fixed (byte* b = binary)
        {
            byte* bin = b;
            nuint length = (nuint)binary.Length;
            program = ClApi.Api.CreateProgramWithBinary(_device.Context.Value, 1, &dev, &length, &bin, &status, &rc);
        }

        if (rc != ClConst.CL_SUCCESS || status != ClConst.CL_SUCCESS || program == 0)
        {
            if (program != 0)
            {
                ClApi.Api.ReleaseProgram(program);
            }

            TryDelete(path);
            return null;
        }

        var handle = new ClHandle(program, ClHandle.ClKind.Program);
        if (!Build(handle, options, fromBinary: true))
        {
            handle.Dispose();
            TryDelete(path);
            return null;
        }

        return handle;
    }

    /// <summary>The cache file: magic, format version, key, payload length, SHA-256 of the payload, payload.</summary>
    internal static byte[] Pack(ReadOnlySpan<byte> binary, string key)
    {
        byte[] keyBytes = Encoding.ASCII.GetBytes(key);
        var file = new byte[HeaderBytes + binary.Length];
        Magic.CopyTo(file);
        BitConverter.TryWriteBytes(file.AsSpan(4), FormatVersion);
        keyBytes.AsSpan(0, KeyBytes).CopyTo(file.AsSpan(8));
        BitConverter.TryWriteBytes(file.AsSpan(8 + KeyBytes), (long)binary.Length);
        SHA256.HashData(binary, file.AsSpan(16 + KeyBytes, 32));
        binary.CopyTo(file.AsSpan(HeaderBytes));
        return file;
    }

    /// <summary>Checks a cache file against the key it is stored under; on success gives the driver binary inside.</summary>
    internal static bool TryUnpack(byte[] file, string key, out ReadOnlySpan<byte> binary)
    {
        binary = default;
        if (file.Length < HeaderBytes || !file.AsSpan(0, 4).SequenceEqual(Magic) || BitConverter.ToInt32(file, 4) != FormatVersion ||
            !file.AsSpan(8, KeyBytes).SequenceEqual(Encoding.ASCII.GetBytes(key)))
        {
            return false;
        }

        long length = BitConverter.ToInt64(file, 8 + KeyBytes);
        if (length != file.Length - HeaderBytes || length == 0)
        {
            return false;
        }

        ReadOnlySpan<byte> payload = file.AsSpan(HeaderBytes);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        if (!hash.SequenceEqual(file.AsSpan(16 + KeyBytes, 32)))
        {
            return false;
        }

        binary = payload;
        return true;
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A cache entry that cannot be deleted is still never trusted: it fails its checks again next time.
        }
    }

    private bool Build(ClHandle program, string options, bool fromBinary)
    {
        nint dev = _device.Handle;
        byte[] opts = Encoding.UTF8.GetBytes(options + "\0");
        int rc;
        fixed (byte* o = opts)
        {
            rc = ClApi.Api.BuildProgram(program.Value, 1, &dev, o, null, null);
        }

        if (rc == ClConst.CL_SUCCESS)
        {
            return true;
        }

        if (fromBinary)
        {
            return false;
        }

        string log = BuildLog(program.Value);
        program.Dispose();
        throw new OpenCLException(rc, "clBuildProgram", _device.Id, $"build options: '{options}'\nbuild log:\n{log}");
    }

    private string BuildLog(nint program)
    {
        nuint size;
        if (ClApi.Api.GetProgramBuildInfo(program, _device.Handle, (Silk.NET.OpenCL.ProgramBuildInfo)ClConst.CL_PROGRAM_BUILD_LOG, 0, null, &size) != ClConst.CL_SUCCESS)
        {
            return "(no build log)";
        }

        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            ClApi.Api.GetProgramBuildInfo(program, _device.Handle, (Silk.NET.OpenCL.ProgramBuildInfo)ClConst.CL_PROGRAM_BUILD_LOG, size, p, null);
        }

        return ClApi.Decode(bytes);
    }

    private void Save(ClHandle program, string path, string key)
    {
        nuint size;
        if (ClApi.Api.GetProgramInfo(program.Value, (Silk.NET.OpenCL.ProgramInfo)ClConst.CL_PROGRAM_BINARY_SIZES, (nuint)sizeof(nuint), &size, null) != ClConst.CL_SUCCESS || size == 0)
        {
            return;
        }

        var binary = new byte[(int)size];
        fixed (byte* b = binary)
        {
            byte* bin = b;
            if (ClApi.Api.GetProgramInfo(program.Value, (Silk.NET.OpenCL.ProgramInfo)ClConst.CL_PROGRAM_BINARIES, (nuint)sizeof(nint), &bin, null) != ClConst.CL_SUCCESS)
            {
                return;
            }
        }

        string tmp = path + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + ".tmp";
        try
        {
            File.WriteAllBytes(tmp, Pack(binary, key));
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A read-only cache, or a directory standing where the entry should be, only costs the next process a
            // rebuild; the temporary file must not stay behind.
            TryDelete(tmp);
        }
    }
}
