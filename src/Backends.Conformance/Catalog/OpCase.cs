using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>
/// One seeded instance of an op: its tensors (inputs with values, outputs poisoned), the launch, the float64
/// reference (computed once, lazily), FLOPs and bytes moved. <see cref="Prepare(Device, DeviceStream)"/> puts it on a device.
/// </summary>
public sealed class OpCase
{
    private readonly Action<IKernels, DeviceStream, Func<string, TensorView>> _launch;
    private readonly Func<Func<string, double[]>, Dictionary<string, double[]>> _reference;
    private readonly Func<OpCase, Func<string, double[]>, CheckResult>? _customCheck;
    private readonly Func<OpCase, Func<string, double[]>, CheckResult>? _sampledCheck;
    private readonly Lazy<Dictionary<string, double[]>> _expected;
    private readonly Lazy<Dictionary<string, double[]>>? _floors;

    internal OpCase(
        OpSpec spec, OpShape shape, DType dtype, int seed, bool specials, IReadOnlyList<HostTensor> tensors, double flops,
        Action<IKernels, DeviceStream, Func<string, TensorView>> launch,
        Func<Func<string, double[]>, Dictionary<string, double[]>> reference,
        Func<OpCase, Func<string, double[]>, CheckResult>? customCheck,
        Func<OpCase, Func<string, double[]>, CheckResult>? sampledCheck = null,
        Func<Func<string, double[]>, Dictionary<string, double[]>>? roundingFloors = null)
    {
        Spec = spec;
        Shape = shape;
        DType = dtype;
        Seed = seed;
        Specials = specials;
        Tensors = tensors;
        Flops = flops;
        _launch = launch;
        _reference = reference;
        _customCheck = customCheck;
        _sampledCheck = sampledCheck;
        _expected = new Lazy<Dictionary<string, double[]>>(() => _reference(name => Tensor(name).Values));
        _floors = roundingFloors is null ? null : new Lazy<Dictionary<string, double[]>>(() => roundingFloors(name => Tensor(name).Values));
        BytesMoved = tensors.Sum(t => t.Role switch
        {
            TensorRole.InOut => 2.0 * t.SizeInBytes,
            _ => (double)t.SizeInBytes,
        });
    }

    /// <summary>The op.</summary>
    public OpSpec Spec { get; }

    /// <summary>The shape.</summary>
    public OpShape Shape { get; }

    /// <summary>The data type.</summary>
    public DType DType { get; }

    /// <summary>The seed the inputs came from.</summary>
    public int Seed { get; }

    /// <summary>Whether special values were planted.</summary>
    public bool Specials { get; }

    /// <summary>All tensors, inputs first.</summary>
    public IReadOnlyList<HostTensor> Tensors { get; }

    /// <summary>Floating-point operations of one launch (the op's customary count).</summary>
    public double Flops { get; }

    /// <summary>Bytes one launch must move at least: inputs read once, outputs written once (read-write tensors twice).</summary>
    public double BytesMoved { get; set; }

    /// <summary>A one-line description with everything needed to reproduce it: op, dtype, shape, seed.</summary>
    public string Description => $"{Spec.Name} {DType.ToShortName()} {Shape}{(Specials ? " specials" : string.Empty)} seed={Seed}";

    /// <summary>
    /// Reference work (FLOPs) above which <see cref="OpRun.Verify"/> checks a sample of output rows against the float64
    /// reference (and every element for being finite) instead of computing the whole reference: 4096³ in float64
    /// would take minutes. Ops without a sampled check always compute the whole reference.
    /// </summary>
    public const double SampleAboveFlops = 4e9;

    /// <summary>Whether <see cref="OpRun.Verify"/> will check sampled rows instead of the full reference.</summary>
    public bool UsesSampledCheck => _sampledCheck is not null && Flops > SampleAboveFlops;

    /// <summary>The expected outputs, by tensor name (computed in float64 on first use).</summary>
    public IReadOnlyDictionary<string, double[]> Expected => _expected.Value;

    /// <summary>
    /// Per-element rounding floors of outputs whose float32 arithmetic is ill-conditioned (GEMM's dot products:
    /// <see cref="Comparison.DotRoundingFloor"/>), by tensor name, computed on first use; empty for other ops.
    /// </summary>
    public IReadOnlyDictionary<string, double[]> RoundingFloors => _floors?.Value ?? s_noFloors;

    private static readonly Dictionary<string, double[]> s_noFloors = [];

    /// <summary>A tensor by name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The tensor.</returns>
    public HostTensor Tensor(string name) => Tensors.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"{Spec.Name} has no tensor '{name}'.");

    /// <summary>
    /// The op's in-place uses (<see cref="OpSpec.InPlaceUses"/>) this case can take: the output and the input have the
    /// same shape and dtype (<c>Add</c>'s <c>y</c> as a broadcast row <c>b</c> cannot).
    /// </summary>
    public IReadOnlyList<InPlace> InPlaceChoices => Spec.InPlaceUses.Where(p =>
    {
        HostTensor o = Tensor(p.Output), i = Tensor(p.Input);
        return o.DType == i.DType && o.Shape.AsSpan().SequenceEqual(i.Shape);
    }).ToList();

    /// <summary>Allocates the case's tensors on a device and queues their upload (outputs poisoned) on <paramref name="stream"/>.</summary>
    /// <param name="device">The device.</param>
    /// <param name="stream">A stream of that device.</param>
    /// <returns>The prepared run; dispose it to free the device memory.</returns>
    public OpRun Prepare(Device device, DeviceStream stream) => Prepare(device, stream, 0);

    /// <summary>
    /// Allocates the case's tensors on a device, each contiguous one placed <paramref name="viewOffset"/> elements into a
    /// buffer with as many elements after it (filled with <see cref="HostTensor.Canary"/>, checked by
    /// <see cref="OpRun.Verify"/>), and queues their upload. An odd offset starts every view off any vector alignment,
    /// as a slice of a larger buffer does (a token range of an activation arena).
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="stream">A stream of that device.</param>
    /// <param name="viewOffset">Elements before (and after) each contiguous view in its buffer; 0 places each view as a whole buffer.</param>
    /// <returns>The prepared run; dispose it to free the device memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="viewOffset"/> is negative.</exception>
    public OpRun Prepare(Device device, DeviceStream stream, int viewOffset) => Prepare(device, stream, viewOffset, null);

    /// <summary>
    /// As <see cref="Prepare(Device, DeviceStream, int)"/>, with one output given the very view of an input
    /// (<paramref name="inPlace"/>, one of <see cref="InPlaceChoices"/>): the launch then overwrites that input, and
    /// <see cref="OpRun.Verify"/> reads the result from it.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="stream">A stream of that device.</param>
    /// <param name="viewOffset">Elements before (and after) each contiguous view in its buffer; 0 places each view as a whole buffer.</param>
    /// <param name="inPlace">The output that takes an input's view, or null for separate outputs.</param>
    /// <returns>The prepared run; dispose it to free the device memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="viewOffset"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="inPlace"/> is not one of this case's <see cref="InPlaceChoices"/>.</exception>
    public OpRun Prepare(Device device, DeviceStream stream, int viewOffset, InPlace? inPlace)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(viewOffset);
        if (inPlace is not null && !InPlaceChoices.Contains(inPlace))
        {
            string choices = InPlaceChoices.Count == 0 ? "none" : string.Join(", ", InPlaceChoices);
            throw new ArgumentException($"{Description} cannot run with {inPlace} in place; its choices: {choices}.", nameof(inPlace));
        }

        var views = new Dictionary<string, TensorView>();
        try
        {
            foreach (HostTensor t in Tensors.Where(t => t.Name != inPlace?.Output))
            {
                views[t.Name] = Place(device, t, viewOffset);
            }

            if (inPlace is not null)
            {
                views[inPlace.Output] = views[inPlace.Input];
            }

            var run = new OpRun(this, device, views, viewOffset, inPlace);
            run.Upload(stream, outputsOnly: false);
            return run;
        }
        catch
        {
            foreach (DeviceBuffer b in views.Values.Select(v => v.Buffer).Distinct())
            {
                b.Dispose();
            }

            throw;
        }
    }

    /// <summary>A contiguous view over a new buffer (or <paramref name="viewOffset"/> elements into one), or a row-strided one inside a wider buffer when the tensor is padded.</summary>
    private static TensorView Place(Device device, HostTensor t, int viewOffset)
    {
        if (t.RowPadding == 0 && viewOffset == 0)
        {
            return device.Allocate(t.DType, t.Shape);
        }

        if (t.RowPadding == 0)
        {
            long count = TensorView.CountElements(t.Shape);
            DeviceBuffer around = device.AllocateBuffer(t.DType, count + (2L * viewOffset));
            return around.View().Slice(viewOffset, checked((int)count)).Reshape(t.Shape);
        }

        long rowLength = TensorView.CountElements(t.Shape.AsSpan(1));
        long stride = rowLength + t.RowPadding;
        DeviceBuffer buffer = device.AllocateBuffer(t.DType, Math.Max(t.Shape[0] * stride, t.ColumnOffset)); // no rows: still room for where the view starts
        return TensorView.Strided(buffer, t.ColumnOffset, stride, t.Shape);
    }

    /// <summary>Queues the op.</summary>
    /// <param name="kernels">The kernels (a device's default or a variant).</param>
    /// <param name="stream">The stream.</param>
    /// <param name="view">The device view of each tensor, by name.</param>
    internal void Launch(IKernels kernels, DeviceStream stream, Func<string, TensorView> view) => _launch(kernels, stream, view);

    /// <summary>Compares read-back outputs with the reference.</summary>
    /// <param name="actual">The outputs by name.</param>
    /// <returns>The result.</returns>
    internal CheckResult Check(Func<string, double[]> actual)
    {
        if (UsesSampledCheck)
        {
            CheckResult sampled = _sampledCheck!(this, actual);
            return sampled.Passed ? sampled : sampled with { Detail = $"{sampled.Detail} [{Description}]" };
        }

        if (_customCheck is not null)
        {
            CheckResult custom = _customCheck(this, actual);
            if (!custom.Passed)
            {
                return custom with { Detail = $"{custom.Detail} [{Description}]" };
            }
        }

        double worst = 0, tol = 0;
        foreach (HostTensor t in Tensors.Where(t => t.Role != TensorRole.Input && t.Compare != CompareMode.Custom))
        {
            double tTol = t.Compare == CompareMode.Exact ? 0 : Spec.Tolerance(t.DType);
            CheckResult r = t.Compare == CompareMode.Exact
                ? Comparison.Exact(t.Name, actual(t.Name), Expected[t.Name])
                : Comparison.Norm(t.Name, actual(t.Name), Expected[t.Name], tTol, RoundingFloors.TryGetValue(t.Name, out double[]? floor) ? floor : default);
            if (!r.Passed)
            {
                return r with { Detail = $"{r.Detail} [{Description}]" };
            }

            worst = Math.Max(worst, r.Error);
            tol = Math.Max(tol, tTol);
        }

        return new CheckResult(true, worst, tol, Description);
    }
}
