using System;
using System.Collections.Generic;
using Backends.Conformance;

namespace Backends.Tests;

/// <summary>A device, a stream and helpers to make filled tensors for the bad-input cases.</summary>
internal sealed class BadInputEnv : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly Random _rng = new(1234);
    private Device? _other;

    public BadInputEnv(Device device)
    {
        D = device;
        S = device.CreateStream();
        _owned.Add(S);
    }

    public Device D { get; }

    public DeviceStream S { get; }

    public IKernels K => D.Kernels;

    /// <summary>Another device object of the same id: its buffers must be refused.</summary>
    public Device Other => _other ??= Own(TestDevices.Registry.Open(D.Id));

    /// <summary>A tensor filled with small random values (or valid ids for I32).</summary>
    public TensorView T(DType t, params int[] shape) => Fill(D, t, shape, poison: false);

    /// <summary>A tensor filled with the poison pattern: an output that must stay untouched.</summary>
    public TensorView Out(DType t, params int[] shape) => Fill(D, t, shape, poison: true);

    /// <summary>A tensor on <see cref="Other"/>.</summary>
    public TensorView Foreign(DType t, params int[] shape) => Fill(Other, t, shape, poison: false);

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private TensorView Fill(Device device, DType t, int[] shape, bool poison)
    {
        TensorView v = device.Allocate(t, shape);
        _owned.Add(v.Buffer);
        var values = new double[v.ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = poison ? HostTensor.Poison(t) : t == DType.I32 ? _rng.Next(2) : (_rng.NextDouble() * 2) - 1;
        }

        using DeviceStream s = device.CreateStream();
        s.WriteBytes(v, HostTensor.Encode(t, values));
        s.Synchronize();
        return v;
    }

    private T Own<T>(T item)
        where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }
}
