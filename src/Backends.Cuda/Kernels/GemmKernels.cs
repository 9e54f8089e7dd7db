using ILGPU;

namespace Backends.Cuda.Kernels;

/// <summary>
/// GEMM and grouped GEMM with register blocking: each thread accumulates a block of outputs in registers (4×4 for GEMM,
/// 1×4 for grouped GEMM) over K in F32, reading A and B through the leading dimensions, so transposes, batches and
/// row-strided views share one kernel. <see cref="Tiled"/> adds shared-memory tiling for larger problems.
/// </summary>
internal static class GemmKernels
{
    public const int Block = 4;

    /// <summary>C = alpha·op(A)·op(B) + beta·C (C not read when beta = 0), one 4×4 block of one batch per thread and step.</summary>
    public static void Gemm(Index1D index, ArrayView<byte> a, ArrayView<byte> b, ArrayView<byte> c, GemmParams p)
    {
        int rowBlocks = (p.M + Block - 1) / Block, colBlocks = (p.N + Block - 1) / Block;
        long blocksPerBatch = (long)rowBlocks * colBlocks;
        long total = blocksPerBatch * p.Batch;
        var acc = LocalMemory.Allocate<float>(Block * Block);
        for (long blk = index; blk < total; blk += p.Step)
        {
            long batch = blk / blocksPerBatch;
            long rest = blk % blocksPerBatch;
            int i0 = (int)(rest / colBlocks) * Block, j0 = (int)(rest % colBlocks) * Block;
            long ao = p.AOffset + (batch * p.BatchStrideA), bo = p.BOffset + (batch * p.BatchStrideB), co = p.COffset + (batch * p.BatchStrideC);
            for (int q = 0; q < Block * Block; q++)
            {
                acc[q] = 0f;
            }

            for (int k = 0; k < p.K; k++)
            {
                for (int r = 0; r < Block; r++)
                {
                    int i = i0 + r < p.M ? i0 + r : p.M - 1;
                    float av = Numerics.Load(a, p.InType, ao + (p.TransA != 0 ? ((long)k * p.LdA) + i : ((long)i * p.LdA) + k));
                    for (int s = 0; s < Block; s++)
                    {
                        int j = j0 + s < p.N ? j0 + s : p.N - 1;
                        float bv = Numerics.Load(b, p.InType, bo + (p.TransB != 0 ? ((long)j * p.LdB) + k : ((long)k * p.LdB) + j));
                        acc[(r * Block) + s] += av * bv;
                    }
                }
            }

            for (int r = 0; r < Block && i0 + r < p.M; r++)
            {
                for (int s = 0; s < Block && j0 + s < p.N; s++)
                {
                    long at = co + ((long)(i0 + r) * p.LdC) + j0 + s;
                    float v = p.Alpha * acc[(r * Block) + s];
                    if (p.Beta != 0f)
                    {
                        v += p.Beta * Numerics.Load(c, p.OutType, at);
                    }

                    Numerics.Store(c, p.OutType, at, v);
                }
            }
        }
    }

    /// <summary>Threads per tile side (a group is TileThreads × TileThreads).</summary>
    public const int TileThreads = 8;

    /// <summary>Outputs per tile side: each thread computes Block × Block of them.</summary>
    public const int Tile = TileThreads * Block;

    /// <summary>Depth of the K slice staged in shared memory per step.</summary>
    public const int TileK = 16;

    /// <summary>
    /// Tiled GEMM: a group of 8×8 threads computes a 32×32 tile of C; per step it stages a 32×16 slice of A and a 16×32
    /// slice of B in shared memory (converted to F32 once), then every thread accumulates its 4×4 block from shared
    /// memory. Grid: (column tiles, row tiles, batch). Edge tiles load zeros beyond M, N and K.
    /// </summary>
    public static void Tiled(ArrayView<byte> a, ArrayView<byte> b, ArrayView<byte> c, GemmParams p)
    {
        var sa = SharedMemory.Allocate<float>(Tile * TileK);
        var sb = SharedMemory.Allocate<float>(TileK * Tile);
        var acc = LocalMemory.Allocate<float>(Block * Block);
        int tx = Group.IdxX, ty = Group.IdxY, lid = (ty * TileThreads) + tx;
        int j0 = Grid.IdxX * Tile, i0 = Grid.IdxY * Tile;
        long batch = Grid.IdxZ;
        long ao = p.AOffset + (batch * p.BatchStrideA), bo = p.BOffset + (batch * p.BatchStrideB), co = p.COffset + (batch * p.BatchStrideC);
        for (int q = 0; q < Block * Block; q++)
        {
            acc[q] = 0f;
        }

        for (int k0 = 0; k0 < p.K; k0 += TileK)
        {
            // 64 threads load 512 values of each slice: 8 apiece.
            for (int e = lid; e < Tile * TileK; e += TileThreads * TileThreads)
            {
                int r = e / TileK, kk = e % TileK;
                int i = i0 + r, k = k0 + kk;
                sa[e] = i < p.M && k < p.K ? Numerics.Load(a, p.InType, ao + (p.TransA != 0 ? ((long)k * p.LdA) + i : ((long)i * p.LdA) + k)) : 0f;
                int kb = e / Tile, col = e % Tile;
                int j = j0 + col, k2 = k0 + kb;
                sb[e] = j < p.N && k2 < p.K ? Numerics.Load(b, p.InType, bo + (p.TransB != 0 ? ((long)j * p.LdB) + k2 : ((long)k2 * p.LdB) + j)) : 0f;
            }

            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                for (int r = 0; r < Block; r++)
                {
                    float av = sa[(((ty * Block) + r) * TileK) + kk];
                    for (int s2 = 0; s2 < Block; s2++)
                    {
                        acc[(r * Block) + s2] += av * sb[(kk * Tile) + (tx * Block) + s2];
                    }
                }
            }

            Group.Barrier();
        }

        for (int r = 0; r < Block; r++)
        {
            int i = i0 + (ty * Block) + r;
            for (int s2 = 0; s2 < Block; s2++)
            {
                int j = j0 + (tx * Block) + s2;
                if (i < p.M && j < p.N)
                {
                    long at = co + ((long)i * p.LdC) + j;
                    float v = p.Alpha * acc[(r * Block) + s2];
                    if (p.Beta != 0f)
                    {
                        v += p.Beta * Numerics.Load(c, p.OutType, at);
                    }

                    Numerics.Store(c, p.OutType, at, v);
                }
            }
        }
    }

    /// <summary>The effective group boundaries (each offset clamped to [0, R] and to at least the one before), by one thread.</summary>
    public static void GroupBounds(Index1D index, ArrayView<int> offsets, ArrayView<int> bounds, long offsetsOffset, int experts, int rows)
    {
        if (index != 0)
        {
            return;
        }

        int prev = 0;
        for (int e = 0; e <= experts; e++)
        {
            int v = offsets[offsetsOffset + e];
            v = v < 0 ? 0 : v > rows ? rows : v;
            prev = e == 0 ? v : (v > prev ? v : prev);
            bounds[e] = prev;
        }
    }

    /// <summary>c[r, :] = a[r, :]·W[e]ᵀ (or ·W[e]) for the group e holding row r; rows in no group become 0. One row × 4 columns per thread and step.</summary>
    public static void Grouped(Index1D index, ArrayView<byte> a, ArrayView<byte> w, ArrayView<int> bounds, ArrayView<byte> c, GroupedParams p)
    {
        int colBlocks = (p.N + Block - 1) / Block;
        long total = (long)p.Rows * colBlocks;
        var acc = LocalMemory.Allocate<float>(Block);
        for (long blk = index; blk < total; blk += p.Step)
        {
            int r = (int)(blk / colBlocks), j0 = (int)(blk % colBlocks) * Block;

            // The group of row r: the last e with bounds[e] ≤ r < bounds[e + 1] (bounds are non-decreasing).
            int lo = 0, hi = p.Experts;
            while (lo < hi)
            {
                int mid = (lo + hi + 1) / 2;
                if (bounds[mid] <= r)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            bool inGroup = lo < p.Experts && r >= bounds[lo] && r < bounds[lo + 1];
            for (int s = 0; s < Block; s++)
            {
                acc[s] = 0f;
            }

            if (inGroup)
            {
                long wo = p.WOffset + ((long)lo * p.N * p.K);
                long ao = p.AOffset + ((long)r * p.LdA);
                for (int k = 0; k < p.K; k++)
                {
                    float av = Numerics.Load(a, p.InType, ao + k);
                    for (int s = 0; s < Block; s++)
                    {
                        int j = j0 + s < p.N ? j0 + s : p.N - 1;
                        float bv = Numerics.Load(w, p.InType, wo + (p.TransB != 0 ? ((long)j * p.K) + k : ((long)k * p.N) + j));
                        acc[s] += av * bv;
                    }
                }
            }

            for (int s = 0; s < Block && j0 + s < p.N; s++)
            {
                Numerics.Store(c, p.OutType, p.COffset + ((long)r * p.LdC) + j0 + s, acc[s]);
            }
        }
    }
}

/// <summary>The scalars of one GEMM launch.</summary>
internal readonly record struct GemmParams(
    long AOffset, long BOffset, long COffset, long LdA, long LdB, long LdC, long BatchStrideA, long BatchStrideB, long BatchStrideC,
    long Step, int Batch, int M, int N, int K, int TransA, int TransB, float Alpha, float Beta, int InType, int OutType);

/// <summary>The scalars of one grouped-GEMM launch.</summary>
internal readonly record struct GroupedParams(
    long AOffset, long WOffset, long COffset, long LdA, long LdC, long Step, int Rows, int N, int K, int Experts, int TransB, int InType, int OutType);
