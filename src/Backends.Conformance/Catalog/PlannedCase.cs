namespace Backends.Conformance;

/// <summary>One case of the conformance plan, not yet built.</summary>
/// <param name="Spec">The op.</param>
/// <param name="DType">The dtype.</param>
/// <param name="Shape">The shape.</param>
/// <param name="Specials">Whether special values are planted.</param>
/// <param name="Seed">The case's seed.</param>
public sealed record PlannedCase(OpSpec Spec, DType DType, OpShape Shape, bool Specials, int Seed)
{
    /// <summary>Elements before and after each contiguous tensor in its buffer when run (see <see cref="OpCase.Prepare(Device, DeviceStream, int, InPlace)"/>); 0 for the catalog's cases.</summary>
    public int ViewOffset { get; init; }

    /// <summary>The output that runs in an input's view, or null (the catalog's cases; see <see cref="OpCase.InPlaceChoices"/>).</summary>
    public InPlace? InPlace { get; init; }

    /// <summary>Builds the case (inputs and reference are generated here).</summary>
    /// <returns>The case.</returns>
    public OpCase Build() => Spec.CreateCase(Shape, DType, Seed, Specials);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Spec.Name} {DType.ToShortName()} {Shape}{(Specials ? " specials" : string.Empty)} seed={Seed}"
        + (ViewOffset == 0 ? string.Empty : $" view-offset={ViewOffset}")
        + (InPlace is null ? string.Empty : $" in-place {InPlace}");
}
