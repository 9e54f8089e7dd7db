using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backends.Cpu;

/// <summary>
/// The BF16 GEMM kernels on CPUs with AVX512-BF16: <c>VDPBF16PS</c>, which multiplies pairs of BF16 values and adds
/// both products to an F32 accumulator, 32 multiply-adds per instruction where an F32 FMA does 16. .NET 10 has no
/// intrinsic for it, so the kernels are machine code assembled from our own source (<c>native/cpu/bf16_dot.S</c>,
/// written by <c>native/cpu/gen.py</c>; the bytes in <see cref="Code"/>), copied into an executable page at first use
/// and called through function pointers: the blocked GEMM's 8 × 48 micro-kernel (<see cref="Run"/>) and the decode
/// tiles of 4, 8, 12 or 16 rows of A against 12, 12, 8 or 6 rows of B read in place (<see cref="Decode"/>).
/// </summary>
/// <remarks>
/// Used only where it can run as written: x86-64 Linux (the System V calling convention the code is written for),
/// 512-bit vectors in use (<see cref="Vector512.IsHardwareAccelerated"/>, so <c>DOTNET_EnableAVX512=0</c> turns it off
/// too), AVX512-BF16 reported by CPUID (leaf 7, sub-leaf 1, EAX bit 5), an executable page granted by the OS, and a
/// self-test on known values passed. Otherwise BF16 inputs are widened to F32 while packing, as before; <see
/// cref="Status"/> says which and why. <c>BACKENDS_CPU_BF16_DOT=0</c> turns it off.
/// <para>
/// Numerics: the products of two BF16 values are exact in F32, and each pair is added to the accumulator with round
/// to nearest even, as two FMAs would; but the instruction treats BF16 subnormal inputs as zero and flushes subnormal
/// results to zero (magnitudes below 2⁻¹²⁶ ≈ 1.2e−38). NaN and infinities propagate as in IEEE arithmetic.
/// </para>
/// </remarks>
internal static unsafe partial class CpuBf16Dot
{
    /// <summary>Rows of A per kernel call.</summary>
    public const int Mr = 8;

    /// <summary>Columns of B per kernel call (three 16-float vectors).</summary>
    public const int Nr = 48;

    private static readonly delegate* unmanaged[SuppressGCTransition]<Args*, void> s_kernel;

    /// <summary>The decode tiles by vectors of A (index 1..4), null where not loaded.</summary>
    private static readonly nint[] s_decode = new nint[5];

    /// <summary>Rows of B per decode tile, by vectors of A (index 1..4).</summary>
    internal static ReadOnlySpan<int> DecodeTileRows => [0, 12, 12, 8, 6];

    /// <summary>Offsets in <see cref="Code"/> of the decode tiles, by vectors of A (index 1..4).</summary>
    private static ReadOnlySpan<int> DecodeEntries => [0, Decode1x12Entry, Decode2x12Entry, Decode3x8Entry, Decode4x6Entry];

    /// <summary>Whether the blocked GEMM uses the kernel for BF16 inputs by default (loaded, and not turned off by the environment).</summary>
    internal static readonly bool Enabled;

    static CpuBf16Dot()
    {
        (nint code, Status) = Load();
        s_kernel = (delegate* unmanaged[SuppressGCTransition]<Args*, void>)code;
        if (code != 0)
        {
            for (int g = 1; g <= 4; g++)
            {
                s_decode[g] = code + DecodeEntries[g];
            }
        }

        Enabled = code != 0 && Environment.GetEnvironmentVariable("BACKENDS_CPU_BF16_DOT") != "0";
        if (code != 0 && !Enabled)
        {
            Status = "widened to F32 while packing (VDPBF16PS available, turned off by BACKENDS_CPU_BF16_DOT=0)";
        }
    }

    /// <summary>Whether the kernel is loaded (the CPU, OS and self-test allow it), whatever <see cref="Enabled"/> says.</summary>
    internal static bool Available => s_kernel != null;

    /// <summary>How BF16 GEMM inputs are multiplied here, and why (shown by <c>backends devices</c>).</summary>
    public static string Status { get; }

    /// <summary>
    /// tile[r·48 + j] = Σ_p A-pair(r, p) · B-pair(p, j) over <paramref name="kPairs"/> pairs of k: <paramref
    /// name="a"/> holds 8 dwords per pair (A[r, 2p] in the low half, A[r, 2p + 1] in the high half, BF16 bits),
    /// <paramref name="b"/> 48 dwords per pair likewise. The tile is overwritten.
    /// </summary>
    public static void Run(uint* a, uint* b, long kPairs, float* tile)
    {
        if (s_kernel == null || kPairs < 1)
        {
            throw new InvalidOperationException("the BF16 dot kernel is not loaded here, or was called with no k pairs: " + Status);
        }

        Args args = new() { A = a, B = b, KPairs = kPairs, Tile = tile };
        s_kernel(&args);
    }

    /// <summary>
    /// The decode tile with <paramref name="vectors"/> (1..4) vectors of packed A against <see cref="DecodeTileRows"/>
    /// rows of B read in place from <paramref name="b"/>, <paramref name="ldb"/> bytes apart, over <paramref
    /// name="steps"/> steps of 8 k. Packed A: per step, per vector g, 64 bytes: rows 4g..4g+3, each its 8 BF16 values
    /// of the step. Out: per B row j, per vector g, 16 floats; float 4r + q sums A[4g + r, k]·B[j, k] over the k of
    /// pair q (k mod 8 in 2q, 2q + 1) of every step. Overwritten.
    /// </summary>
    public static void Decode(int vectors, void* a, byte* b, nint ldb, long steps, float* output)
    {
        if (s_kernel == null || vectors is < 1 or > 4 || steps < 0)
        {
            throw new InvalidOperationException($"no BF16 decode tile for {vectors} vector(s) and {steps} step(s) here: " + Status);
        }

        long* args = stackalloc long[5];
        args[0] = (long)a;
        args[1] = (long)b;
        args[2] = ldb;
        args[3] = steps;
        args[4] = (long)output;
        ((delegate* unmanaged[SuppressGCTransition]<long*, void>)s_decode[vectors])(args);
    }

    /// <summary>Whether this CPU reports AVX512-BF16 (CPUID leaf 7, sub-leaf 1, EAX bit 5).</summary>
    internal static bool CpuHasAvx512Bf16()
    {
        if (!X86Base.IsSupported || X86Base.CpuId(0, 0).Eax < 7 || X86Base.CpuId(7, 0).Eax < 1)
        {
            return false;
        }

        return (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;
    }

    private static (nint Code, string Status) Load()
    {
        const string Widened = "widened to F32 while packing";
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64 || !OperatingSystem.IsLinux())
        {
            return (0, Widened + " (the VDPBF16PS kernel is built for x86-64 Linux only)");
        }

        if (!Vector512.IsHardwareAccelerated || !Avx512F.IsSupported)
        {
            return (0, Widened + " (512-bit vectors not in use)");
        }

        if (!CpuHasAvx512Bf16())
        {
            return (0, Widened + " (no AVX512-BF16 on this CPU)");
        }

        nint page;
        try
        {
            page = MapExecutable(Code, out string? error);
            if (page == 0)
            {
                return (0, Widened + " (" + error + ")");
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (0, Widened + " (no libc.so.6 mmap/mprotect: " + e.Message + ")");
        }

        string? failure = SelfTest((delegate* unmanaged[SuppressGCTransition]<Args*, void>)page);
        for (int g = 1; g <= 4 && failure is null; g++)
        {
            failure = SelfTestDecode((delegate* unmanaged[SuppressGCTransition]<long*, void>)(page + DecodeEntries[g]), g);
        }

        return failure is null
            ? (page, "VDPBF16PS (AVX512-BF16): 8×48 GEMM kernel, decode tiles of 4..16 rows")
            : (0, Widened + " (the VDPBF16PS kernel failed its self-test: " + failure + ")");
    }

    /// <summary>
    /// Runs the kernel on two k pairs of small integers and powers of two (exact in BF16 and F32) and checks every
    /// element of the tile; null when all match.
    /// </summary>
    private static string? SelfTest(delegate* unmanaged[SuppressGCTransition]<Args*, void> kernel)
    {
        const int pairs = 2;
        uint* a = stackalloc uint[Mr * pairs];
        uint* b = stackalloc uint[Nr * pairs];
        float* tile = stackalloc float[Mr * Nr];
        static ushort Bf(float v) => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
        static float AValue(int r, int k) => r + 1 - (2 * k);
        static float BValue(int k, int j) => (j % 7) - 3 + (k * 0.5f);
        for (int p = 0; p < pairs; p++)
        {
            for (int r = 0; r < Mr; r++)
            {
                a[(p * Mr) + r] = Bf(AValue(r, 2 * p)) | ((uint)Bf(AValue(r, (2 * p) + 1)) << 16);
            }

            for (int j = 0; j < Nr; j++)
            {
                b[(p * Nr) + j] = Bf(BValue(2 * p, j)) | ((uint)Bf(BValue((2 * p) + 1, j)) << 16);
            }
        }

        new Span<float>(tile, Mr * Nr).Fill(float.NaN);
        Args args = new() { A = a, B = b, KPairs = pairs, Tile = tile };
        kernel(&args);
        for (int r = 0; r < Mr; r++)
        {
            for (int j = 0; j < Nr; j++)
            {
                float expected = 0;
                for (int k = 0; k < 2 * pairs; k++)
                {
                    expected += AValue(r, k) * BValue(k, j);
                }

                if (tile[(r * Nr) + j] != expected)
                {
                    return $"tile[{r}, {j}] = {tile[(r * Nr) + j]}, expected {expected}";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Runs a decode tile over five steps (one pass of its four-step loop and one of its single steps) on small
    /// integers and checks every output float; null when all match.
    /// </summary>
    private static string? SelfTestDecode(delegate* unmanaged[SuppressGCTransition]<long*, void> kernel, int g)
    {
        const int steps = 5, k = 8 * steps;
        int rows = DecodeTileRows[g], m = 4 * g;
        ushort* a = stackalloc ushort[m * k];
        ushort* packed = stackalloc ushort[steps * g * 32];
        ushort* b = stackalloc ushort[rows * (k + 8)];
        float* output = stackalloc float[rows * g * 16];
        static ushort Bf(float v) => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
        static float AValue(int i, int q) => ((i * 3) + q) % 9 - 4;
        static float BValue(int j, int q) => ((j * 5) + (q * 2)) % 7 - 3;
        for (int i = 0; i < m; i++)
        {
            for (int q = 0; q < k; q++)
            {
                a[(i * k) + q] = Bf(AValue(i, q));
            }
        }

        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int t = 0; t < 8; t++)
                {
                    packed[(s * g * 32) + (i * 8) + t] = a[(i * k) + (8 * s) + t];
                }
            }
        }

        for (int j = 0; j < rows; j++)
        {
            for (int q = 0; q < k + 8; q++)
            {
                b[(j * (k + 8)) + q] = Bf(q < k ? BValue(j, q) : float.NaN); // past the steps: never read
            }
        }

        new Span<float>(output, rows * g * 16).Fill(float.NaN);
        long* args = stackalloc long[5];
        args[0] = (long)packed;
        args[1] = (long)b;
        args[2] = (k + 8) * sizeof(ushort);
        args[3] = steps;
        args[4] = (long)output;
        kernel(args);
        for (int j = 0; j < rows; j++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int pair = 0; pair < 4; pair++)
                {
                    float expected = 0;
                    for (int s = 0; s < steps; s++)
                    {
                        for (int t = 0; t < 2; t++)
                        {
                            int q = (8 * s) + (2 * pair) + t;
                            expected += AValue(i, q) * BValue(j, q);
                        }
                    }

                    float got = output[(((j * g) + (i / 4)) * 16) + ((i % 4) * 4) + pair];
                    if (got != expected)
                    {
                        return $"decode tile {4 * g}×{rows}: B row {j}, A row {i}, pair {pair}: {got}, expected {expected}";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Copies <paramref name="code"/> into a fresh page mapped read + execute (never unmapped: one page for the process's life).</summary>
    private static nint MapExecutable(ReadOnlySpan<byte> code, out string? error)
    {
        const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;
        nuint size = (nuint)((code.Length + 4095) & ~4095);
        nint page = Mmap(0, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == -1 || page == 0)
        {
            error = $"mmap of a page refused, errno {Marshal.GetLastPInvokeError()}";
            return 0;
        }

        code.CopyTo(new Span<byte>((void*)page, code.Length));
        if (Mprotect(page, size, ProtRead | ProtExec) != 0)
        {
            error = $"the OS refused an executable page (mprotect errno {Marshal.GetLastPInvokeError()})";
            _ = Munmap(page, size);
            return 0;
        }

        error = null;
        return page;
    }

    [LibraryImport("libc.so.6", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc.so.6", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint addr, nuint length, int prot);

    [LibraryImport("libc.so.6", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint addr, nuint length);

    /// <summary>The kernel's one argument (layout fixed by the assembly: four 8-byte fields).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Args
    {
        public uint* A;
        public uint* B;
        public long KPairs;
        public float* Tile;
    }
}
