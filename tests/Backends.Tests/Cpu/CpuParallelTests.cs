using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// CpuParallelTests run alone, after the parallel tests: one of them needs a second core free for the pool's helper, and
/// with other tests busy on both cores of a small machine the helper could wait out the whole job (seen once in 1312).
/// </summary>
[CollectionDefinition("cpu-parallel", DisableParallelization = true)]
public sealed class CpuParallelCollection
{
}

/// <summary>
/// The CPU backend's worker pool: every index runs exactly once (inline, on the helpers, after they have parked, from
/// two callers at once and nested), and a failure reaches the caller as the exception the body threw.
/// </summary>
[Collection("cpu-parallel")]
public sealed class CpuParallelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(1000, 1)]
    [InlineData(1000, 64)]
    [InlineData(1_000_003, 4096)]
    public void For_CoversEveryIndexOnce(long count, long grain)
    {
        int[] hits = new int[count];
        CpuParallel.For(count, grain, (s, e) =>
        {
            Assert.True(s < e, $"empty chunk [{s}, {e})");
            for (long i = s; i < e; i++)
            {
                Interlocked.Increment(ref hits[i]);
            }
        });
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Each_CoversEveryIndexOnce_AfterTheHelpersHaveParked()
    {
        for (int round = 0; round < 4; round++)
        {
            // Longer than the helpers' spin (1 ms by default): they park, and the next job must wake them or run without them.
            Thread.Sleep(Math.Max(5, (CpuParallel.SpinMicroseconds / 1000) + 5));
            int[] hits = new int[37];
            CpuParallel.Each(hits.Length, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void TwoCallersAtOnce_AndNestedCalls_EachCoverEveryIndexOnce()
    {
        const int Count = 20_000;
        int[][] hits = [new int[Count], new int[Count]];
        int[] inner = new int[Count];
        Parallel.For(0, 2, caller =>
        {
            for (int rep = 0; rep < 50; rep++)
            {
                CpuParallel.For(Count, 100, (s, e) =>
                {
                    for (long i = s; i < e; i++)
                    {
                        Interlocked.Increment(ref hits[caller][i]);
                    }

                    if (caller == 0 && rep == 0 && s == 0)
                    {
                        // A kernel that fans out again from inside a job.
                        CpuParallel.For(Count, 10, (a, b) =>
                        {
                            for (long j = a; j < b; j++)
                            {
                                Interlocked.Increment(ref inner[j]);
                            }
                        });
                    }
                });
            }
        });
        Assert.All(hits[0], h => Assert.Equal(50, h));
        Assert.All(hits[1], h => Assert.Equal(50, h));
        Assert.All(inner, h => Assert.Equal(1, h));
    }

    [Fact]
    public void LongChunks_RunOnMoreThanOneThread_WhenTheProcessHasSeveralProcessors()
    {
        // Eight chunks of 25 ms: a helper that does not take a single one in 175 ms, in any of ten tries, is not working
        // at all. (One try can see a single thread where the helpers are busy with another test's job running beside this
        // one, or the VM has descheduled them for a while.)
        int most = 0;
        for (int attempt = 0; attempt < 10 && most < Math.Min(Environment.ProcessorCount, 2); attempt++)
        {
            var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
            CpuParallel.Each(8, _ =>
            {
                threads[Environment.CurrentManagedThreadId] = true;
                long until = System.Diagnostics.Stopwatch.GetTimestamp() + (System.Diagnostics.Stopwatch.Frequency / 40);
                while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(100);
                }
            });
            most = Math.Max(most, Math.Min(threads.Count, 2));
        }

        Assert.Equal(Math.Min(Environment.ProcessorCount, 2), most);
    }

    [Fact]
    public void AFailingChunk_ThrowsItsOwnException_AndThePoolServesTheNextJob()
    {
        var e = Assert.Throws<InvalidOperationException>(() => CpuParallel.For(1000, 1, (s, t) =>
        {
            if (s <= 500 && 500 < t)
            {
                throw new InvalidOperationException("chunk failed");
            }
        }));
        Assert.Equal("chunk failed", e.Message);

        int[] hits = new int[1000];
        CpuParallel.For(hits.Length, 1, (s, t) =>
        {
            for (long i = s; i < t; i++)
            {
                hits[i]++;
            }
        });
        Assert.True(hits.All(h => h == 1), "every index of the next job ran once");
    }
}
