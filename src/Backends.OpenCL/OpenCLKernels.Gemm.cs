using System;

namespace Backends.OpenCL;

/// <content>GEMM and grouped GEMM launches.</content>
internal sealed partial class OpenCLKernels
{
    private const int RM = 8, RN = 4, CN = 4, TileRows = 32;

    protected override void GemmCore(DeviceStream stream, GemmArgs a)
    {
        string options = Io(a.A.DType, a.C.DType) + Def("TRANS_A", a.TransA ? 1 : 0);
        nuint[] global = a.TransB
            ? [Groups(a.N, CN, 8), Groups(a.M, RN, 8), (nuint)a.Batch]
            : [Groups(a.N, 16, 8), Groups(a.M, RM, 8), (nuint)a.Batch];
        Run(stream, "gemm", options, a.TransB ? "gemm_nt" : "gemm_nn", global, [8, 8, 1],
            a.M, a.N, a.K, KArg.Mem(a.A), a.A.Offset, a.BatchStrideA, KArg.Mem(a.B), a.B.Offset, a.BatchStrideB,
            KArg.Mem(a.C), a.C.Offset, a.Alpha, a.Beta);
    }

    protected override void GroupedGemmCore(DeviceStream stream, GroupedGemmArgs a)
    {
        int maxTiles = (2 * ((a.Rows + TileRows - 1) / TileRows)) + a.Experts + 2;
        using ClHandle tiles = TempMemory((1 + (3L * maxTiles)) * sizeof(int));
        string options = Io(a.A.DType, a.C.DType) + Def("TRANS_A", 0);
        Run(stream, "gemm", options, "grouped_tiles", [1], [1],
            KArg.Mem(a.ExpertOffsets), a.ExpertOffsets.Offset, a.Experts, a.Rows, KArg.Mem(tiles), maxTiles);
        nuint[] global = a.TransB
            ? [Groups(a.N, CN, 1), (nuint)(maxTiles * (TileRows / RN))]
            : [Groups(a.N, 16, 1), (nuint)(maxTiles * (TileRows / RM))];
        Run(stream, "gemm", options, a.TransB ? "grouped_nt" : "grouped_nn", global, [],
            a.Rows, a.N, a.K, KArg.Mem(a.A), a.A.Offset, KArg.Mem(a.Weights), a.Weights.Offset, KArg.Mem(a.C), a.C.Offset, KArg.Mem(tiles));
    }
}
