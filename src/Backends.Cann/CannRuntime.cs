using System.Threading;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>
/// <c>aclInit</c> once per process, reference-counted: every open device (and a probe while it runs) holds one reference;
/// <c>aclFinalize</c> runs when the last is released. A later acquire initialises again (the stand-in allows it; a real
/// runtime that refuses a second <c>aclInit</c> after <c>aclFinalize</c> reports it as a typed error).
/// </summary>
internal static class CannRuntime
{
    private static readonly Lock Gate = new();
    private static int s_references;

    /// <summary>References held now.</summary>
    public static int References
    {
        get
        {
            lock (Gate)
            {
                return s_references;
            }
        }
    }

    /// <summary>Takes a reference, calling <c>aclInit(NULL)</c> when it is the first.</summary>
    public static unsafe void Acquire()
    {
        lock (Gate)
        {
            if (s_references == 0)
            {
                int rc = Acl.aclInit(null);
                if (rc != 0 && rc != 100002)
                {
                    // 100002 REPEAT_INITIALIZE: someone else in the process (a host framework) initialised already.
                    throw CannErrors.Create(rc, "aclInit");
                }
            }

            s_references++;
        }
    }

    /// <summary>Drops a reference, calling <c>aclFinalize()</c> after the last.</summary>
    public static void Release()
    {
        lock (Gate)
        {
            if (s_references <= 0)
            {
                return;
            }

            if (--s_references == 0)
            {
                int rc = Acl.aclFinalize();
                if (rc != 0 && rc != 100037)
                {
                    throw CannErrors.Create(rc, "aclFinalize");
                }
            }
        }
    }
}
