using System;

namespace Backends.OpenCL;

/// <content>GEMM and grouped GEMM launches.</content>
internal sealed partial class OpenCLKernels
{
    private const int RM = 8, RN = 4, CN = 4, TileRows = 32;

    /// <summary>K above which the work-group-staged kernel beats the register-only one (measured on PoCL: −25..40% below, +45% at 2048³).</summary>
    private const int LocalTilesFromK = 1024;

    protected override void GemmCore(OpenCLStream stream, GemmArgs a)
    {
        string options = Io(a.A.DType, a.C.DType) + Def("TRANS_A", a.TransA ? 1 : 0);
        int lda = (int)a.LdA, ldb = (int)a.LdB, ldc = (int)a.LdC;
        if (a.TransB)
        {
            Run(stream, "gemm", options, "gemm_nt", [Groups(a.N, CN, 8), Groups(a.M, RN, 4), (nuint)a.Batch], [8, 4, 1],
                a.M, a.N, a.K, KArg.Mem(a.A), a.A.Offset, a.BatchStrideA, lda, KArg.Mem(a.B), a.B.Offset, a.BatchStrideB, ldb,
                KArg.Mem(a.C), a.C.Offset, a.BatchStrideC, ldc, a.Alpha, a.Beta);
            return;
        }

        if (LocalTiles is { } t && (AlwaysLocalTiles || a.K > LocalTilesFromK))
        {
            int bm = RM * t.Ly, bn = 16 * t.Lx;
            options += Def("KC", t.Kc) + Def("LX", t.Lx) + Def("LY", t.Ly);
            Run(stream, "gemm", options, "gemm_nn_local",
                [(nuint)(((a.M + bm - 1) / bm) * t.Lx), (nuint)(((a.N + bn - 1) / bn) * t.Ly), (nuint)a.Batch], [(nuint)t.Lx, (nuint)t.Ly, 1],
                a.M, a.N, a.K, KArg.Mem(a.A), a.A.Offset, a.BatchStrideA, lda, KArg.Mem(a.B), a.B.Offset, a.BatchStrideB, ldb,
                KArg.Mem(a.C), a.C.Offset, a.BatchStrideC, ldc, a.Alpha, a.Beta);
            return;
        }

        Run(stream, "gemm", options, "gemm_nn", [Groups(a.N, 16, 8), Groups(a.M, RM, 4), (nuint)a.Batch], [8, 4, 1],
            a.M, a.N, a.K, KArg.Mem(a.A), a.A.Offset, a.BatchStrideA, lda, KArg.Mem(a.B), a.B.Offset, a.BatchStrideB, ldb,
            KArg.Mem(a.C), a.C.Offset, a.BatchStrideC, ldc, a.Alpha, a.Beta);
    }

    /// <summary>
    /// The staged kernel's geometry from the device's limits: LX × LY items (LY up to 16), and the deepest K chunk
    /// (a multiple of 16, at most 256) whose A and B tiles fit in 90% of the local memory; null when none fits.
    /// </summary>
    private (int Lx, int Ly, int Kc)? LocalTiles
    {
        get
        {
            const int lx = 4;
            int ly = Math.Clamp(_device.MaxWorkGroupSize / lx, 1, 16);
            long perK = (long)((RM * ly) + (16 * lx)) * sizeof(float);
            long kc = Math.Min(256, (long)(_device.LocalMemoryBytes * 0.9) / perK) / 16 * 16;
            return kc >= 16 ? (lx, ly, (int)kc) : null;
        }
    }

    protected override void GroupedGemmCore(OpenCLStream stream, GroupedGemmArgs a)
    {
        int maxTiles = (2 * ((a.Rows + TileRows - 1) / TileRows)) + a.Experts + 2;
        using ScratchBuffer tiles = Owner.Scratch.Rent(stream, DType.I32, 1 + (3L * maxTiles));
        string options = Io(a.A.DType, a.C.DType) + Def("TRANS_A", 0);
        Run(stream, "gemm", options, "grouped_tiles", [1], [1],
            KArg.Mem(a.ExpertOffsets), a.ExpertOffsets.Offset, a.Experts, a.Rows, KArg.Mem(tiles.View), maxTiles);
        nuint[] global = a.TransB
            ? [Groups(a.N, CN, 1), (nuint)(maxTiles * (TileRows / RN))]
            : [Groups(a.N, 16, 1), (nuint)(maxTiles * (TileRows / RM))];
        Run(stream, "gemm", options, a.TransB ? "grouped_nt" : "grouped_nn", global, [],
            a.Rows, a.N, a.K, KArg.Mem(a.A), a.A.Offset, KArg.Mem(a.Weights), a.Weights.Offset, KArg.Mem(a.C), a.C.Offset, KArg.Mem(tiles.View),
            (int)a.LdA, (int)a.LdC);
    }
}
