using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>The CPU GEMM's choice of reading F32 A in place from its rows (rows that fall in more than one L1 set) or packing it.</summary>
public sealed class CpuGemmLayoutTests
{
    [Theory]
    [InlineData(1024L, false)] // 4 KiB apart: all 8 rows in one L1 set
    [InlineData(2048L, false)]
    [InlineData(4096L, false)]
    [InlineData(7168L, false)] // 28 KiB: a multiple of 4 KiB too
    [InlineData(512L, true)]   // 2 KiB: two sets
    [InlineData(256L, true)]
    [InlineData(900L, true)]
    [InlineData(1027L, true)]  // a padded view of a 1024-wide buffer
    [InlineData(16L, true)]
    public void RowsSpreadInL1_RefusesStridesThatAliasEveryRow(long ld, bool spread) =>
        Assert.Equal(spread, CpuGemm.RowsSpreadInL1(ld));
}
