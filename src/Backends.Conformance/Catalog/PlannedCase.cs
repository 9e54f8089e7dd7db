namespace Backends.Conformance;

/// <summary>One case of the conformance plan, not yet built.</summary>
/// <param name="Spec">The op.</param>
/// <param name="DType">The dtype.</param>
/// <param name="Shape">The shape.</param>
/// <param name="Specials">Whether special values are planted.</param>
/// <param name="Seed">The case's seed.</param>
public sealed record PlannedCase(OpSpec Spec, DType DType, OpShape Shape, bool Specials, int Seed)
{
    /// <summary>Builds the case (inputs and reference are generated here).</summary>
    /// <returns>The case.</returns>
    public OpCase Build() => Spec.CreateCase(Shape, DType, Seed, Specials);

    /// <inheritdoc />
    public override string ToString() => $"{Spec.Name} {DType.ToShortName()} {Shape}{(Specials ? " specials" : string.Empty)} seed={Seed}";
}
