namespace Backends;

/// <summary>The ops of the standard set (see <see cref="IKernels"/> for each contract).</summary>
public enum OpKind
{
    /// <summary>C = alpha·op(A)·op(B) + beta·C, batched.</summary>
    Gemm,

    /// <summary>MoE expert GEMM: row groups of A each times their own expert's weights.</summary>
    GroupedGemm,

    /// <summary>Row-wise softmax with optional scale and causal mask.</summary>
    Softmax,

    /// <summary>y = x / sqrt(mean(x²) + eps) · gamma, per row.</summary>
    RmsNorm,

    /// <summary>y = x·sigmoid(x).</summary>
    Silu,

    /// <summary>y = silu(gate)·up.</summary>
    SwiGlu,

    /// <summary>y = a + b, b broadcast over rows.</summary>
    Add,

    /// <summary>y = a · b, b broadcast over rows.</summary>
    Mul,

    /// <summary>Rotary position embedding.</summary>
    Rope,

    /// <summary>The MoE router: scores, optional bias and group limit, top-k, weights.</summary>
    TopKGating,

    /// <summary>Gather token rows into expert-sorted order.</summary>
    MoePermute,

    /// <summary>Weighted gather of expert outputs back to token order.</summary>
    MoeUnpermute,

    /// <summary>Conversion between F32, F16 and BF16.</summary>
    Cast,
}
