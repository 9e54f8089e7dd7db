using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Backends.Conformance;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// One device used from several threads at once, each thread with its own stream (a server handling requests side by
/// side): every thread runs catalog cases of every op in its own random order, some at view offsets and some in place,
/// and every result must match the float64 reference as it does alone. Shared state inside a backend (program and
/// kernel caches, scratch pools, handle tables, the device's worker threads) would show as a wrong result, an
/// exception or a hang here.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Threads = 4;

    public static TheoryData<string> Devices() => [.. TestDevices.Ids];

    [Theory]
    [MemberData(nameof(Devices))]
    public void Device_UsedByFourThreadsEachWithItsStream_GivesReferenceResults(string device)
    {
        Device d = TestDevices.Get(device);
        bool emulator = TestDevices.IsEmulator(device);
        double maxFlops = emulator ? 2e6 : 5e7;
        int perThread = emulator ? 24 : 120;

        // Small catalog cases of every op and dtype (the same list for every thread), references computed up front.
        List<OpCase> cases = [.. OpCatalog.All.SelectMany(spec => spec.DTypes.SelectMany(dt => ConformanceSuite.Plan(spec, dt, ConformanceSuite.BaseSeed)))
            .Select(p => p.Build())
            .Where(c => c.Flops <= maxFlops && c.Tensors.Sum(t => t.Values.LongLength) <= (1 << 16))];
        foreach (OpCase c in cases)
        {
            _ = c.Expected;
        }

        var failures = new ConcurrentQueue<string>();
        int ran = 0;
        using var start = new Barrier(Threads);
        Thread[] threads = [.. Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var rng = new Random(OpCatalog.StableSeed(ConformanceSuite.BaseSeed, "concurrency", t));
            try
            {
                using DeviceStream stream = d.CreateStream();
                start.SignalAndWait();
                for (int i = 0; i < perThread; i++)
                {
                    OpCase c = cases[rng.Next(cases.Count)];
                    IReadOnlyList<InPlace> choices = c.InPlaceChoices;
                    InPlace? inPlace = choices.Count > 0 && rng.Next(2) == 0 ? choices[rng.Next(choices.Count)] : null;
                    int offset = rng.Next(3);
                    CheckResult r = ConformanceSuite.Run(d, stream, c, null, offset, inPlace);
                    Interlocked.Increment(ref ran);
                    if (r.Unsupported || !r.Passed)
                    {
                        failures.Enqueue($"thread {t}: {r.Detail} (view offset {offset}, in place {inPlace?.ToString() ?? "no"})");
                    }
                }
            }
#pragma warning disable CA1031 // any exception on a worker thread is a failure reported below
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures.Enqueue($"thread {t}: {ex.GetType().Name}: {ex.Message}");
            }
        }) { IsBackground = true })];
        foreach (Thread th in threads)
        {
            th.Start();
        }

        foreach (Thread th in threads)
        {
            Assert.True(th.Join(TimeSpan.FromMinutes(5)), $"{device}: a thread did not finish within 5 minutes (a hang); {ConformanceSuite.ReplayHint()}");
        }

        Assert.True(failures.IsEmpty, $"{device}, {Threads} threads, {ran} runs: {string.Join("; ", failures.Take(5))}; {ConformanceSuite.ReplayHint()}");
        Assert.Equal(Threads * perThread, ran);
    }
}
