namespace Backends.Conformance;

/// <summary>How an output is compared with its reference.</summary>
public enum CompareMode
{
    /// <summary>Relative L2 error and a per-element bound against the op's tolerance; NaN/±∞ must match position by position.</summary>
    Norm,

    /// <summary>Every element equal (NaN matches NaN): integer outputs, copies and casts.</summary>
    Exact,

    /// <summary>Checked by the op's own verifier (the router, where near-ties may legitimately differ).</summary>
    Custom,
}
