namespace Backends.Conformance;

/// <summary>An output given the very view of an input (the op's contract allows it): <c>Softmax(x, x)</c>.</summary>
/// <param name="Output">The output tensor's name.</param>
/// <param name="Input">The input tensor whose view the output takes.</param>
public sealed record InPlace(string Output, string Input)
{
    /// <summary>The form used in descriptions and on the command line: <c>y=x</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Output}={Input}";
}
