namespace Backends;

/// <summary>Element types a <see cref="DeviceBuffer"/> can hold.</summary>
public enum DType
{
    /// <summary>IEEE 754 binary32 (<see cref="float"/>), 4 bytes.</summary>
    F32,

    /// <summary>IEEE 754 binary16 (<see cref="System.Half"/>), 2 bytes.</summary>
    F16,

    /// <summary>bfloat16 (<see cref="BFloat16"/>): the upper 16 bits of a binary32, 2 bytes.</summary>
    BF16,

    /// <summary>Signed 32-bit integer (<see cref="int"/>), 4 bytes.</summary>
    I32,

    /// <summary>Signed 8-bit integer (<see cref="sbyte"/>), 1 byte.</summary>
    I8,

    /// <summary>Unsigned 8-bit integer (<see cref="byte"/>), 1 byte.</summary>
    U8,
}
