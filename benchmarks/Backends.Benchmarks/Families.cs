using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace Backends.Benchmarks;

/// <summary>GEMM and the MoE expert GEMM.</summary>
public class GemmBenchmarks : OpBenchmarkBase
{
    public static IEnumerable<string> Devices() => BenchDevices.Ids();

    public static IEnumerable<string> Ops() => ["gemm", "grouped-gemm"];

    [ParamsSource(nameof(Devices))]
    public override string DeviceId { get; set; } = "cpu:0";

    [ParamsSource(nameof(Ops))]
    public override string Op { get; set; } = "gemm";
}

/// <summary>Row reductions.</summary>
public class NormBenchmarks : OpBenchmarkBase
{
    public static IEnumerable<string> Devices() => BenchDevices.Ids();

    public static IEnumerable<string> Ops() => ["softmax", "rmsnorm"];

    [ParamsSource(nameof(Devices))]
    public override string DeviceId { get; set; } = "cpu:0";

    [ParamsSource(nameof(Ops))]
    public override string Op { get; set; } = "softmax";
}

/// <summary>Elementwise ops, RoPE and casts.</summary>
public class ElementwiseBenchmarks : OpBenchmarkBase
{
    public static IEnumerable<string> Devices() => BenchDevices.Ids();

    public static IEnumerable<string> Ops() => ["silu", "swiglu", "add", "mul", "rope", "cast"];

    [ParamsSource(nameof(Devices))]
    public override string DeviceId { get; set; } = "cpu:0";

    [ParamsSource(nameof(Ops))]
    public override string Op { get; set; } = "silu";
}

/// <summary>The MoE routing ops.</summary>
public class MoeBenchmarks : OpBenchmarkBase
{
    public static IEnumerable<string> Devices() => BenchDevices.Ids();

    public static IEnumerable<string> Ops() => ["topk-gating", "moe-permute", "moe-unpermute"];

    [ParamsSource(nameof(Devices))]
    public override string DeviceId { get; set; } = "cpu:0";

    [ParamsSource(nameof(Ops))]
    public override string Op { get; set; } = "topk-gating";
}
