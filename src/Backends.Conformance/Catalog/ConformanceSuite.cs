using System;
using System.Collections.Generic;
using System.Globalization;

namespace Backends.Conformance;

/// <summary>
/// The conformance plan shared by the test suite and <c>backends verify</c>: for each op and dtype, the catalog's
/// shapes plus the special-value case, each with a seed derived from one base seed. The base seed is fresh per process
/// unless <c>BACKENDS_SEED</c> fixes it; every failure message names it, so any failure can be replayed.
/// </summary>
public static class ConformanceSuite
{
    /// <summary>The environment variable that fixes the base seed.</summary>
    public const string SeedVariable = "BACKENDS_SEED";

    /// <summary>This process's base seed: <c>BACKENDS_SEED</c> when set, else random.</summary>
    public static int BaseSeed { get; } =
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s)
            ? s
            : Random.Shared.Next(1, int.MaxValue);

    /// <summary>The cases of one op and dtype: conformance shapes, then the special-value case if the op has one.</summary>
    /// <param name="spec">The op.</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="baseSeed">The base seed (normally <see cref="BaseSeed"/>).</param>
    /// <returns>The planned cases.</returns>
    public static IReadOnlyList<PlannedCase> Plan(OpSpec spec, DType dtype, int baseSeed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var list = new List<PlannedCase>();
        IReadOnlyList<OpShape> shapes = spec.ConformanceShapes(dtype);
        for (int i = 0; i < shapes.Count; i++)
        {
            list.Add(new PlannedCase(spec, dtype, shapes[i], false, OpCatalog.StableSeed(baseSeed, spec.Name, dtype, i)));
        }

        if (spec.SpecialShape is { } special)
        {
            list.Add(new PlannedCase(spec, dtype, special, true, OpCatalog.StableSeed(baseSeed, spec.Name, dtype, "specials")));
        }

        return list;
    }

    /// <summary>Runs one case on a device: prepare (outputs poisoned), launch, verify, free.</summary>
    /// <param name="device">The device.</param>
    /// <param name="stream">A stream of the device.</param>
    /// <param name="opCase">The case.</param>
    /// <param name="kernels">The kernels to use; the device's default when null.</param>
    /// <param name="viewOffset">Elements before and after each contiguous tensor in its buffer (see <see cref="OpCase.Prepare(Device, DeviceStream, int)"/>); 0 gives each its own buffer.</param>
    /// <returns>The check result: passed, failed, or <see cref="CheckResult.Unsupported"/> when the kernels do not claim the case.</returns>
    public static CheckResult Run(Device device, DeviceStream stream, OpCase opCase, IKernels? kernels = null, int viewOffset = 0) =>
        Run(device, stream, opCase, kernels, viewOffset, null);

    /// <summary>Runs one case on a device, optionally with an output in an input's view (see <see cref="OpCase.InPlaceChoices"/>).</summary>
    /// <param name="device">The device.</param>
    /// <param name="stream">A stream of the device.</param>
    /// <param name="opCase">The case.</param>
    /// <param name="kernels">The kernels to use; the device's default when null.</param>
    /// <param name="viewOffset">Elements before and after each contiguous tensor in its buffer; 0 gives each its own buffer.</param>
    /// <param name="inPlace">The output that takes an input's view, or null.</param>
    /// <returns>The check result: passed, failed, or <see cref="CheckResult.Unsupported"/> when the kernels do not claim the case.</returns>
    public static CheckResult Run(Device device, DeviceStream stream, OpCase opCase, IKernels? kernels, int viewOffset, InPlace? inPlace)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(opCase);
        IKernels k = kernels ?? device.Kernels;
        if (!k.Supports(opCase.Spec.Kind, opCase.DType))
        {
            return CheckResult.NotSupported($"{device.Id} ({k.Variant}) does not implement {opCase.Spec.Name} for {opCase.DType.ToShortName()} [{opCase.Description}]");
        }

        using OpRun run = opCase.Prepare(device, stream, viewOffset, inPlace);
        try
        {
            run.Launch(stream, k);
        }
        catch (UnsupportedOpException ex)
        {
            // Refused before anything was queued: this particular call is not claimed (a strided view, a library limit).
            return CheckResult.NotSupported($"{ex.Message} [{opCase.Description}]");
        }

        return run.Verify(stream);
    }

    /// <summary>How to replay a failure.</summary>
    /// <returns>The hint text.</returns>
    public static string ReplayHint() => $"base seed {BaseSeed}; replay with {SeedVariable}={BaseSeed}";
}
