using System.Collections.Generic;

namespace Backends;

/// <summary>
/// A validated op call: the views and the resolved sizes a backend launches from. Every <c>...Args</c> record derives
/// from it, so a backend can answer <see cref="IKernels.Supports(OpArgs)"/> for one call (library limits, row-strided
/// views) and a wrapper variant can hand a call to another op set without validating it again.
/// </summary>
public abstract record OpArgs
{
    /// <summary>The op.</summary>
    public abstract OpKind Op { get; }

    /// <summary>The op's data type as <see cref="IKernels.Supports(OpKind, DType)"/> takes it (Gemm: the input type; Cast: the source type).</summary>
    public abstract DType DType { get; }

    /// <summary>Every view of the call with its argument name, and whether the contract lets it carry a row stride.</summary>
    public abstract IEnumerable<OpOperand> Operands { get; }
}
