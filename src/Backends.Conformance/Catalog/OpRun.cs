using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>An <see cref="OpCase"/> allocated on a device: launch it (repeatedly, for timing), then verify it.</summary>
public sealed class OpRun : IDisposable
{
    private readonly Dictionary<string, TensorView> _views;
    private bool _disposed;

    internal OpRun(OpCase opCase, Device device, Dictionary<string, TensorView> views, int viewOffset, InPlace? inPlace)
    {
        Case = opCase;
        Device = device;
        _views = views;
        ViewOffset = viewOffset;
        InPlace = inPlace;
    }

    /// <summary>The output that shares an input's view (see <see cref="OpCase.Prepare(Device, DeviceStream, int, InPlace)"/>), or null.</summary>
    public InPlace? InPlace { get; }

    /// <summary>Whether a tensor is an output living in an input's view: its buffer is that input's, uploaded and checked as the input.</summary>
    private bool IsAlias(HostTensor t) => t.Name == InPlace?.Output;

    /// <summary>Elements before (and after) each contiguous view in its buffer (see <see cref="OpCase.Prepare(Device, DeviceStream, int)"/>); 0 when each is a whole buffer.</summary>
    public int ViewOffset { get; }

    /// <summary>Whether a tensor's buffer holds more than its view (a strided placement or a view offset), the rest filled with the canary.</summary>
    private bool HasCanary(HostTensor t) => t.RowPadding > 0 || ViewOffset > 0;

    /// <summary>Whether element <paramref name="i"/> of a tensor's buffer lies inside its view.</summary>
    private static bool InView(HostTensor t, TensorView v, long i)
    {
        if (t.RowPadding == 0)
        {
            return i >= v.Offset && i < v.Offset + v.ElementCount;
        }

        long inRow = i % v.RowStride;
        return inRow >= t.ColumnOffset && inRow < t.ColumnOffset + v.RowLength;
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

    /// <summary>
    /// Queues re-poisoning (or re-initialising) every output, so a verify after it sees only what the next launch
    /// writes; an in-place run's input gets its values back instead.
    /// </summary>
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

        // Every gap around a strided or offset tensor, input or output, must still hold the canary (an in-place output's
        // buffer is its input's, checked as the input).
        foreach (HostTensor t in Case.Tensors.Where(t => HasCanary(t) && !IsAlias(t)))
        {
            TensorView v = _views[t.Name];
            var bytes = new byte[v.Buffer.SizeInBytes];
            stream.ReadBytes(v.Buffer.View(), bytes);
            double[] all = HostTensor.Decode(t.DType, bytes);
            double canary = ReferenceOps.Quantize(HostTensor.Canary(t.DType), t.DType);
            for (long i = 0; i < all.LongLength; i++)
            {
                if (!InView(t, v, i) && !all[i].Equals(canary))
                {
                    string where = t.RowPadding > 0 ? "in the gap between rows of the strided view" : "outside the view";
                    return new CheckResult(false, double.PositiveInfinity, 0,
                        $"{t.Name}: element {i} of its buffer lies {where} {v} but was changed to {all[i]} [{Case.Description}{PlacementText}]");
                }
            }
        }

        CheckResult result = Case.Check(name => actual[name]);
        return result.Passed || PlacementText.Length == 0 ? result : result with { Detail = result.Detail + PlacementText };
    }

    /// <summary>How the views were placed, for a failure's detail: empty for the plain placement.</summary>
    private string PlacementText =>
        (ViewOffset == 0 ? string.Empty : $" (every contiguous view {ViewOffset} elements into its buffer)")
        + (InPlace is null ? string.Empty : $" (in place: {InPlace.Output} is {InPlace.Input}'s view)");

    /// <summary>Frees the device buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (DeviceBuffer b in _views.Values.Select(v => v.Buffer).Distinct())
        {
            b.Dispose();
        }
    }

    internal void Upload(DeviceStream stream, bool outputsOnly)
    {
        foreach (HostTensor t in Case.Tensors)
        {
            if (IsAlias(t) || (outputsOnly && t.Role == TensorRole.Input && t.Name != InPlace?.Input))
            {
                continue; // an in-place output's view is its input's, which gets the input's values
            }

            if (HasCanary(t) && !outputsOnly)
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
