namespace Backends.Conformance;

/// <summary>How an op case uses one of its tensors.</summary>
public enum TensorRole
{
    /// <summary>Read by the op.</summary>
    Input,

    /// <summary>Written by the op; poisoned before the run so unwritten elements show.</summary>
    Output,

    /// <summary>Read and written (Gemm's C with beta ≠ 0).</summary>
    InOut,
}
