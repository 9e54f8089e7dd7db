using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>An <see cref="OpCase"/> allocated on a device: launch it (repeatedly, for timing), then verify it.</summary>
public sealed class OpRun : IDisposable
{
    private readonly Dictionary<string, TensorView> _views;
    private bool _disposed;

    internal OpRun(OpCase opCase, Device device, Dictionary<string, TensorView> views)
    {
        Case = opCase;
        Device = device;
        _views = views;
    }

    /// <summary>The case.</summary>
    public OpCase Case { get; }

    /// <summary>The device.</summary>
    public Device Device { get; }

    /// <summary>The device view of a tensor.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The view.</returns>
    public TensorView View(string name) => _views.TryGetValue(name, out TensorView? v) ? v : throw new KeyNotFoundException($"No tensor '{name}'.");

    /// <summary>Queues the op once.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="kernels">The kernels to use; the device's default when null.</param>
    public void Launch(DeviceStream stream, IKernels? kernels = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Case.Launch(kernels ?? Device.Kernels, stream, View);
    }

    /// <summary>Queues re-poisoning (or re-initialising) every output, so a verify after it sees only what the next launch writes.</summary>
    /// <param name="stream">The stream.</param>
    public void ResetOutputs(DeviceStream stream)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Upload(stream, outputsOnly: true);
    }

    /// <summary>Reads every output back (waiting for the stream) and compares it with the float64 reference.</summary>
    /// <param name="stream">The stream the launch was queued on.</param>
    /// <returns>The result; a failure's detail names the output, the element, both values and the seed.</returns>
    public CheckResult Verify(DeviceStream stream)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(stream);
        var actual = new Dictionary<string, double[]>();
        foreach (HostTensor t in Case.Tensors.Where(t => t.Role != TensorRole.Input))
        {
            TensorView v = _views[t.Name];
            var bytes = new byte[v.SizeInBytes];
            stream.ReadBytes(v, bytes);
            actual[t.Name] = HostTensor.Decode(t.DType, bytes);
        }

        // Every gap around a strided tensor, input or output, must still hold the canary.
        foreach (HostTensor t in Case.Tensors.Where(t => t.RowPadding > 0))
        {
            TensorView v = _views[t.Name];
            var bytes = new byte[v.Buffer.SizeInBytes];
            stream.ReadBytes(v.Buffer.View(), bytes);
            double[] all = HostTensor.Decode(t.DType, bytes);
            double canary = ReferenceOps.Quantize(HostTensor.Canary(t.DType), t.DType);
            for (long i = 0; i < all.LongLength; i++)
            {
                long inRow = i % v.RowStride;
                bool inView = inRow >= t.ColumnOffset && inRow < t.ColumnOffset + v.RowLength;
                if (!inView && !all[i].Equals(canary))
                {
                    return new CheckResult(false, double.PositiveInfinity, 0,
                        $"{t.Name}: element {i} of its buffer lies in the gap between rows of the strided view {v} but was changed to {all[i]} [{Case.Description}]");
                }
            }
        }

        return Case.Check(name => actual[name]);
    }

    /// <summary>Frees the device buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (TensorView v in _views.Values)
        {
            v.Buffer.Dispose();
        }
    }

    internal void Upload(DeviceStream stream, bool outputsOnly)
    {
        foreach (HostTensor t in Case.Tensors)
        {
            if (outputsOnly && t.Role == TensorRole.Input)
            {
                continue;
            }

            if (t.RowPadding > 0 && !outputsOnly)
            {
                // The whole buffer gets the canary first; the view's rows are then written through the strided view.
                DeviceBuffer buffer = _views[t.Name].Buffer;
                var canary = new double[buffer.Length];
                Array.Fill(canary, HostTensor.Canary(t.DType));
                stream.WriteBytes(buffer.View(), HostTensor.Encode(t.DType, canary));
            }

            stream.WriteBytes(_views[t.Name], HostTensor.Encode(t.DType, t.Values));
        }
    }
}
