using System.Diagnostics;
using System.Runtime;

namespace Backends.Benchmarking;

/// <summary>
/// How long the JIT has compiled nothing, as seen at each look: a warm-up's end condition. .NET promotes hot methods to
/// optimised code on a background thread some 100 ms after their 30th call, and that thread shares the cores with
/// whatever is timed meanwhile, so a warm-up that stops on agreeing timings alone can still be measuring beside it.
/// </summary>
public sealed class JitQuietClock
{
    private long _compiled = JitInfo.GetCompiledMethodCount();
    private long _since = Stopwatch.GetTimestamp();

    /// <summary>Milliseconds since the count of compiled methods last changed between two looks (or since this clock started).</summary>
    /// <returns>The quiet time so far.</returns>
    public double QuietMilliseconds()
    {
        long now = JitInfo.GetCompiledMethodCount();
        if (now != _compiled)
        {
            _compiled = now;
            _since = Stopwatch.GetTimestamp();
        }

        return Stopwatch.GetElapsedTime(_since).TotalMilliseconds;
    }
}
