namespace Backends;

/// <summary>
/// The standard op set, one method per op. Every method validates all arguments (dtypes, shapes, devices,
/// disposed objects, forbidden aliasing) and throws before anything is queued; then it queues the op on
/// <c>stream</c> and returns without waiting. Accumulation is in F32 for F16/BF16 data.
/// </summary>
/// <remarks>
/// Common exceptions: <see cref="System.ArgumentException"/> for wrong shapes, dtypes or aliasing;
/// <see cref="System.ArgumentNullException"/>; <see cref="UnsupportedOpException"/> when the device does not implement
/// the op, the dtype or that particular call (always before anything is queued); <see cref="DeviceMismatchException"/> when a view or the stream belongs to another device;
/// <see cref="System.ObjectDisposedException"/> for a disposed stream, device or buffer. Outputs may be the very
/// same view as an input only where an op says so; any other overlap is an error.
/// </remarks>
public interface IKernels
{
    /// <summary>The device these kernels run on.</summary>
    Device Device { get; }

    /// <summary>The variant name ("ours", "clblast", ...).</summary>
    string Variant { get; }

    /// <summary>
    /// Whether the op is implemented for the data type (Gemm: input type; Cast: source type). A supported op may still
    /// refuse one call (a row-strided view, a library's per-call limit): <see cref="Supports(OpArgs)"/> answers per call,
    /// and the op methods throw <see cref="UnsupportedOpException"/> for such a call before anything is queued.
    /// </summary>
    /// <param name="op">The op.</param>
    /// <param name="dtype">The data type.</param>
    /// <returns>Whether calls of that op and dtype are implemented.</returns>
    bool Supports(OpKind op, DType dtype);

    /// <summary>Whether one resolved call (views, sizes, options) would be accepted by these kernels.</summary>
    /// <param name="args">The args (the <c>...Args</c> record a validated args resolves to).</param>
    /// <returns>Whether it is implemented.</returns>
    bool Supports(OpArgs args);

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C. A is [M,K] ([K,M] when TransA), B is [K,N] ([N,K] when TransB), C is [M,N];
    /// each may carry a leading batch dimension (rank 3). A or B with rank 2 (or batch 1) is shared by every batch of C.
    /// A and B share one dtype (F32, F16, BF16); C is F32 or the same dtype as A. Accumulates in F32.
    /// When beta = 0, C is not read. C must not overlap A or B. K = 0 gives C = beta·C.
    /// </summary>
    /// <param name="stream">The stream to queue on.</param>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="c">C, read (when beta ≠ 0) and written.</param>
    /// <param name="options">Transposes, alpha, beta; null means the defaults.</param>
    void Gemm(DeviceStream stream, TensorView a, TensorView b, TensorView c, GemmOptions? options = null);

    /// <summary>
    /// MoE expert GEMM in one launch: c[r,:] = a[r,:]·W[e]ᵀ (TransB, W [E,N,K]) or a[r,:]·W[e] (W [E,K,N]) for every
    /// row r of group e, where group e is rows [off[e], off[e+1]) of a [R,K]; expertOffsets is I32 [E+1] in device memory.
    /// The offsets are made safe on the device: each is clamped to [0,R] and to at least the one before it, so groups
    /// never overlap; rows outside every group are set to 0. Empty groups cost nothing. c [R,N] is F32 or a's dtype.
    /// c must not overlap any input.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="a">Rows grouped by expert, [R,K].</param>
    /// <param name="weights">Expert weights, [E,N,K] or [E,K,N], same dtype as a.</param>
    /// <param name="expertOffsets">I32 [E+1], group boundaries (as written by <see cref="MoePermute"/>).</param>
    /// <param name="c">Output [R,N].</param>
    /// <param name="options">Weight layout; null means [E,N,K].</param>
    void GroupedGemm(DeviceStream stream, TensorView a, TensorView weights, TensorView expertOffsets, TensorView c, GroupedGemmOptions? options = null);

    /// <summary>
    /// Row-wise, max-subtracted softmax over the last dimension: y = exp(s·x − max) / Σ exp(s·x − max).
    /// A NaN or +∞ in a row makes the whole row NaN; −∞ entries get weight 0; a row of only −∞ is NaN (as PyTorch).
    /// With the causal option, masked columns are 0 and a fully masked row is all 0. y may be the same view as x.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="x">Input, rank ≥ 1, F32/F16/BF16.</param>
    /// <param name="y">Output, same shape and dtype.</param>
    /// <param name="options">Scale and mask; null means the defaults.</param>
    void Softmax(DeviceStream stream, TensorView x, TensorView y, SoftmaxOptions? options = null);

    /// <summary>
    /// y = x / sqrt(mean(x²) + eps) · gamma over the last dimension (mean in F32). NaN propagates through its row;
    /// an ∞ makes the row's other elements 0 and its own NaN. y may be the same view as x.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="x">Input [..., n], F32/F16/BF16.</param>
    /// <param name="gamma">Scale [n], same dtype.</param>
    /// <param name="y">Output, same shape and dtype as x.</param>
    /// <param name="eps">Added to the mean square, ≥ 0 and finite.</param>
    void RmsNorm(DeviceStream stream, TensorView x, TensorView gamma, TensorView y, float eps = 1e-6f);

    /// <summary>y = x·sigmoid(x) elementwise (silu(+∞) = +∞, silu(−∞) = NaN as IEEE x·σ(x), NaN stays NaN). y may be the same view as x.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="x">Input, F32/F16/BF16.</param>
    /// <param name="y">Output, same shape and dtype.</param>
    void Silu(DeviceStream stream, TensorView x, TensorView y);

    /// <summary>y = silu(gate)·up elementwise. y may be the same view as gate or up.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="gate">Gate input.</param>
    /// <param name="up">Up input, same shape and dtype.</param>
    /// <param name="y">Output, same shape and dtype.</param>
    void SwiGlu(DeviceStream stream, TensorView gate, TensorView up, TensorView y);

    /// <summary>y = a + b elementwise, where b's shape is a trailing part of a's shape (row broadcast: b [n] with a [m,n]) or equals it. y may be the same view as a (or as b when shapes are equal).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, broadcast over a's leading dimensions; same dtype.</param>
    /// <param name="y">Output, shape and dtype of a.</param>
    void Add(DeviceStream stream, TensorView a, TensorView b, TensorView y);

    /// <summary>y = a · b elementwise, with the broadcast rule of <see cref="Add"/>.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand.</param>
    /// <param name="y">Output.</param>
    void Mul(DeviceStream stream, TensorView a, TensorView b, TensorView y);

    /// <summary>
    /// Rotary position embedding on x [T,H,D] or [T,D] with I32 positions [T]: pair p (of rotaryDims/2) turns by
    /// angle = fl32(pos · inv_freq_p), where inv_freq_p = θ^(−2p/rotaryDims) rounded once to F32 (both exactly as
    /// <see cref="OpContracts.RopeInverseFrequency"/> and <see cref="OpContracts.RopeAngle"/>, so every backend turns by
    /// the same F32 angle): (x0, x1) → (x0·cos − x1·sin, x0·sin + x1·cos); pairs are (2p, 2p+1) when interleaved,
    /// (p, p + rotaryDims/2) when half-split; dimensions beyond rotaryDims are copied. y may be the same view as x.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="x">Input, F32/F16/BF16.</param>
    /// <param name="positions">I32 [T], the position of each token.</param>
    /// <param name="y">Output, same shape and dtype.</param>
    /// <param name="options">θ, layout, rotary dimensions; null means the defaults.</param>
    void Rope(DeviceStream stream, TensorView x, TensorView positions, TensorView y, RopeOptions? options = null);

    /// <summary>
    /// The MoE router, exactly as DeepSeek-V3: s = softmax or sigmoid of logits [T,E] (F32); selection scores
    /// s' = s + bias (bias F32 [E] is optional and used for selection only); with Groups &gt; 1, experts form equal groups,
    /// a group's score is its max s (no bias) or the sum of its two best s' (with bias), and only the TopKGroups best
    /// groups stay eligible; the TopK best eligible s' are chosen, in descending order, ties to the lower id (a NaN score
    /// counts as −∞). Weights are the unbiased s of the chosen experts, renormalised to sum 1 (always for sigmoid, on
    /// request for softmax), times RoutedScale. Outputs: weights F32 [T,k], ids I32 [T,k]; neither may overlap anything.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="logits">Router logits, F32 [T,E].</param>
    /// <param name="bias">Per-expert correction bias, F32 [E], or null.</param>
    /// <param name="weights">Output weights, F32 [T,k].</param>
    /// <param name="ids">Output expert ids, I32 [T,k].</param>
    /// <param name="options">k, score function, groups, renormalisation, scale.</param>
    void TopKGating(DeviceStream stream, TensorView logits, TensorView? bias, TensorView weights, TensorView ids, GatingOptions options);

    /// <summary>
    /// Gathers token rows into expert-sorted order. For tokens [T,H] and ids I32 [T,k] (E = expertOffsets length − 1):
    /// choices are grouped by expert, token order (then choice order) kept within an expert. Writes permuted [T·k,H]
    /// (row p = tokens[rowSource[p]]), rowSource I32 [T·k], slotOf I32 [T,k] (the permuted row of each choice) and
    /// expertOffsets I32 [E+1] (group boundaries). An id outside [0,E) (such as −1) marks a dropped choice: its slotOf is
    /// −1 and it takes no row; rows from expertOffsets[E] on are 0 with rowSource −1. A token may choose one expert more
    /// than once (each choice takes its own row, so k may exceed E). Deterministic; no output may overlap anything.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="tokens">Token rows [T,H], F32/F16/BF16.</param>
    /// <param name="ids">Chosen expert ids, I32 [T,k].</param>
    /// <param name="permuted">Output rows [T·k,H], dtype of tokens.</param>
    /// <param name="rowSource">Output I32 [T·k].</param>
    /// <param name="slotOf">Output I32 [T,k].</param>
    /// <param name="expertOffsets">Output I32 [E+1].</param>
    void MoePermute(DeviceStream stream, TensorView tokens, TensorView ids, TensorView permuted, TensorView rowSource, TensorView slotOf, TensorView expertOffsets);

    /// <summary>
    /// Weighted gather back to token order: output[t] = Σ_j weights[t,j] · expertOutput[slotOf[t,j]], summed in j order
    /// in F32; a slot outside [0,R) (a dropped choice) contributes nothing. No atomics: the same bits on every run.
    /// output must not overlap any input.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="expertOutput">Expert results [R,H], F32/F16/BF16.</param>
    /// <param name="slotOf">I32 [T,k], as written by <see cref="MoePermute"/>.</param>
    /// <param name="weights">F32 [T,k], as written by <see cref="TopKGating"/>.</param>
    /// <param name="output">Output [T,H], dtype of expertOutput.</param>
    void MoeUnpermute(DeviceStream stream, TensorView expertOutput, TensorView slotOf, TensorView weights, TensorView output);

    /// <summary>
    /// Converts between F32, F16 and BF16 (same shape): round to nearest, ties to even; overflow gives ±∞; NaN stays NaN.
    /// Same dtype is a copy. y must not overlap x.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="x">Input.</param>
    /// <param name="y">Output, same shape.</param>
    void Cast(DeviceStream stream, TensorView x, TensorView y);
}
