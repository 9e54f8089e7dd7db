using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Backends.Benchmarking;

/// <summary>
/// Measures a device's roofs and caches them per device (name + driver) under the user cache folder, so benchmark
/// runs can report % of roofline without re-measuring: the compute roof with the device's FMA-bound kernel
/// (<see cref="IPeakProbe"/>), the memory roof with a large device-to-device copy (bytes read + written) or a
/// STREAM-style add (2 reads + 1 write), whichever is faster.
/// </summary>
public static class RooflineMeter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The cache file of a device's figures.</summary>
    /// <param name="info">The device.</param>
    /// <returns>The path.</returns>
    public static string CachePath(DeviceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{info.Id}\n{info.Name}\n{info.DriverVersion}\n{Environment.ProcessorCount}")))[..16];
        return Path.Combine(CacheFolder(), $"{info.Id.Replace(':', '-')}-{key}.json");
    }

    /// <summary>Cached figures when present (and <paramref name="refresh"/> is false), else measures and caches them.</summary>
    /// <param name="device">The device.</param>
    /// <param name="refresh">Measure even when cached.</param>
    /// <param name="progress">Receives progress lines.</param>
    /// <returns>The figures.</returns>
    public static RooflineFigures GetOrMeasure(Device device, bool refresh = false, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        string path = CachePath(device.Info);
        if (!refresh && TryLoad(path) is { } cached)
        {
            // The BF16 factor is how this process runs (a kernel switched off by the environment), not a measurement.
            return cached with { Bf16MatmulPeakFactor = (device as IPeakProbe)?.Bf16MatmulPeakFactor ?? 1 };
        }

        RooflineFigures f = Measure(device, progress);
        if (!IsUsable(f.PeakGflops) || !IsUsable(f.BandwidthGBs))
        {
            // A device without a peak probe (an emulator) or a failed measurement: use it, do not cache it.
            progress?.Invoke($"{device.Id}: no usable roofline (peak {f.PeakGflops}, bandwidth {f.BandwidthGBs}); not cached");
            return f;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, JsonSerializer.Serialize(f, Json));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            progress?.Invoke($"could not cache the roofline at {path}: {ex.Message}");
        }

        return f;
    }

    /// <summary>Cached figures, or null.</summary>
    /// <param name="info">The device.</param>
    /// <returns>The figures, or null when none are cached.</returns>
    public static RooflineFigures? TryGetCached(DeviceInfo info) => TryLoad(CachePath(info));

    /// <summary>Measures both roofs now (a few seconds per device).</summary>
    /// <param name="device">The device.</param>
    /// <param name="progress">Receives progress lines.</param>
    /// <returns>The figures.</returns>
    public static RooflineFigures Measure(Device device, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        using DeviceStream stream = device.CreateStream();
        double peak = double.NaN, bf16Factor = 1;
        if (device is IPeakProbe probe)
        {
            bf16Factor = probe.Bf16MatmulPeakFactor;
            progress?.Invoke($"{device.Id}: FMA peak...");
            peak = MeasurePeak(device, stream, probe);
        }

        progress?.Invoke($"{device.Id}: copy bandwidth...");
        (double bw, long bytes) = MeasureBandwidth(device, stream);
        return new RooflineFigures
        {
            DeviceId = device.Id,
            DeviceName = device.Info.Name,
            Driver = device.Info.DriverVersion,
            PeakGflops = peak,
            Bf16MatmulPeakFactor = bf16Factor,
            BandwidthGBs = bw,
            CopyBytes = bytes,
            MeasuredUtc = DateTime.UtcNow,
        };
    }

    private static double MeasurePeak(Device device, DeviceStream stream, IPeakProbe probe)
    {
        TensorView scratch = device.Allocate(DType.F32, probe.ScratchElements);
        try
        {
            // Grow the burst until one launch takes ≥ 50 ms, so launch overhead is noise; then keep the best of 7.
            int iterations = 1000;
            double ms;
            while (true)
            {
                ms = Time(stream, () => probe.QueueFmaBurst(stream, scratch, iterations));
                if (ms >= 50 || iterations > 100_000_000)
                {
                    break;
                }

                iterations = (int)Math.Min(200_000_000, iterations * Math.Clamp(60 / Math.Max(ms, 0.01), 2, 64));
            }

            double best = 0;
            for (int i = 0; i < 7; i++)
            {
                double flops = 0;
                ms = Time(stream, () => flops = probe.QueueFmaBurst(stream, scratch, iterations));
                best = Math.Max(best, flops / ms / 1e6);
            }

            return best;
        }
        finally
        {
            scratch.Buffer.Dispose();
        }
    }

    private static (double GBs, long Bytes) MeasureBandwidth(Device device, DeviceStream stream)
    {
        // 256 MiB per buffer: far beyond any cache. Two probes, the better one counts: the device's own copy (bytes read
        // + written), and a STREAM-style add y = a + b (2 reads + 1 write), since some drivers copy on one thread only.
        long elements = Math.Min(64L << 20, Math.Max(1L << 20, device.Info.MemoryBytes / 16 / 4));
        TensorView a = device.Allocate(DType.F32, (int)elements), b = device.Allocate(DType.F32, (int)elements), y = device.Allocate(DType.F32, (int)elements);
        try
        {
            stream.Fill(a, 1f);
            stream.Fill(b, 0f);
            stream.Fill(y, 0f);
            stream.Copy(a, b);
            stream.Synchronize();
            double best = 0;
            for (int i = 0; i < 7; i++)
            {
                double ms = Time(stream, () => stream.Copy(a, b));
                best = Math.Max(best, 2.0 * elements * 4 / ms / 1e6);
            }

            if (device.Supports(OpKind.Add, DType.F32))
            {
                device.Kernels.Add(stream, a, b, y);
                stream.Synchronize();
                for (int i = 0; i < 7; i++)
                {
                    double ms = Time(stream, () => device.Kernels.Add(stream, a, b, y));
                    best = Math.Max(best, 3.0 * elements * 4 / ms / 1e6);
                }
            }

            return (best, elements * 4);
        }
        finally
        {
            a.Buffer.Dispose();
            b.Buffer.Dispose();
            y.Buffer.Dispose();
        }
    }

    private static double Time(DeviceStream stream, Action queue)
    {
        using DeviceEvent start = stream.Record();
        queue();
        using DeviceEvent end = stream.Record();
        return end.ElapsedMillisecondsSince(start);
    }

    private static RooflineFigures? TryLoad(string path)
    {
        try
        {
            RooflineFigures? f = File.Exists(path) ? JsonSerializer.Deserialize<RooflineFigures>(File.ReadAllText(path)) : null;

            // A cache entry that is zero, negative or not finite (a broken or hand-edited file) is measured again.
            return f is not null && IsUsable(f.PeakGflops) && IsUsable(f.BandwidthGBs) ? f : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsUsable(double v) => double.IsFinite(v) && v > 0;

    private static string CacheFolder()
    {
        string? dir = Environment.GetEnvironmentVariable("BACKENDS_CACHE_DIR");
        if (!string.IsNullOrEmpty(dir))
        {
            return Path.Combine(dir, "roofline");
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string root = !string.IsNullOrEmpty(xdg) ? xdg : string.IsNullOrEmpty(home) ? Path.GetTempPath() : Path.Combine(home, ".cache");
        return Path.Combine(root, "backends", "roofline");
    }
}
