namespace Backends.Cpu;

/// <summary>
/// A count known when the JIT compiles a generic kernel (the panel width of the GEMM's 8-row micro-kernel, the slots
/// of unpermute's unrolled sum): tests of <see cref="Value"/> are constants there, so the branches not taken vanish.
/// </summary>
internal interface ICount
{
    /// <summary>The count.</summary>
    static abstract int Value { get; }
}

/// <summary>The count 1.</summary>
internal readonly struct One : ICount
{
    /// <inheritdoc/>
    public static int Value => 1;
}

/// <summary>The count 2.</summary>
internal readonly struct Two : ICount
{
    /// <inheritdoc/>
    public static int Value => 2;
}

/// <summary>The count 3.</summary>
internal readonly struct Three : ICount
{
    /// <inheritdoc/>
    public static int Value => 3;
}

/// <summary>The count 4.</summary>
internal readonly struct Four : ICount
{
    /// <inheritdoc/>
    public static int Value => 4;
}

/// <summary>The count 8.</summary>
internal readonly struct Eight : ICount
{
    /// <inheritdoc/>
    public static int Value => 8;
}
