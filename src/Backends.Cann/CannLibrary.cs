using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>
/// Finds and loads the AscendCL libraries once per process. The search order is <c>BACKENDS_ASCENDCL_PATH</c> (a folder,
/// or the path of <c>libascendcl.so</c>), then <c>$ASCEND_TOOLKIT_HOME/lib64</c>, then
/// <c>/usr/local/Ascend/ascend-toolkit/latest/lib64</c>; in each folder the runtime is <c>libascendcl.so</c> (or
/// <c>libacl_rt.so</c>) and the operators <c>libopapi.so</c> + <c>libnnopbase.so</c>. Nothing found means the backend
/// is unavailable with the paths tried; loading never throws.
/// </summary>
internal static class CannLibrary
{
    /// <summary>The environment variable naming the folder (or file) of the AscendCL runtime to load.</summary>
    public const string PathVariable = "BACKENDS_ASCENDCL_PATH";

    /// <summary>Where CANN's <c>set_env.sh</c> installs the toolkit by default.</summary>
    public const string DefaultToolkit = "/usr/local/Ascend/ascend-toolkit/latest/lib64";

    private static readonly string[] RuntimeNames = ["libascendcl.so", "libacl_rt.so"];
    private static readonly object Gate = new();
    private static Loaded? s_loaded;
    private static bool s_resolverSet;

    /// <summary>The libraries of one load: handles and the folder they came from.</summary>
    public sealed record Loaded(string Folder, string RuntimePath, nint Runtime, nint NnopBase, nint OpApi, string? OperatorsMissing)
    {
        /// <summary>The <c>aclsimIdentify()</c> text when this is the acl-sim stand-in, else null.</summary>
        public string? SimulatorIdentity { get; init; }

        /// <summary>An export of libopapi.so, or 0.</summary>
        public nint OpExport(string name) => OpApi != 0 && NativeLibrary.TryGetExport(OpApi, name, out nint p) ? p : 0;

        /// <summary>An export of the runtime library, or 0.</summary>
        public nint RuntimeExport(string name) => NativeLibrary.TryGetExport(Runtime, name, out nint p) ? p : 0;
    }

    /// <summary>The folders searched by default, each with where it came from.</summary>
    public static IReadOnlyList<(string Folder, string Source)> DefaultSearch()
    {
        var list = new List<(string, string)>();
        string? env = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(env))
        {
            list.Add((File.Exists(env) ? Path.GetDirectoryName(Path.GetFullPath(env))! : env, PathVariable));
        }

        string? home = Environment.GetEnvironmentVariable("ASCEND_TOOLKIT_HOME");
        if (!string.IsNullOrWhiteSpace(home))
        {
            list.Add((Path.Combine(home, "lib64"), "$ASCEND_TOOLKIT_HOME/lib64"));
        }

        list.Add((DefaultToolkit, "the default toolkit"));
        return list;
    }

    /// <summary>The libraries loaded in this process so far, or null.</summary>
    public static Loaded? Current
    {
        get
        {
            lock (Gate)
            {
                return s_loaded;
            }
        }
    }

    /// <summary>Loads the first folder of <paramref name="search"/> that holds the runtime, or says why none did.</summary>
    /// <param name="search">Folders to try, in order, each with where it came from.</param>
    /// <param name="why">Null when loaded; else the paths tried and what went wrong.</param>
    /// <returns>The loaded libraries, or null.</returns>
    public static Loaded? TryLoad(IReadOnlyList<(string Folder, string Source)> search, out string? why)
    {
        lock (Gate)
        {
            var tried = new List<string>();
            if (search.Count == 0)
            {
                why = "no folder to search";
                return null;
            }

            foreach ((string folder, string source) in search)
            {
                string? runtime = RuntimeNames.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
                if (runtime is null)
                {
                    tried.Add($"{Path.Combine(folder, "libascendcl.so")} ({source}): not found");
                    continue;
                }

                string full = Path.GetFullPath(runtime);
                if (s_loaded is not null)
                {
                    if (string.Equals(s_loaded.RuntimePath, full, StringComparison.Ordinal))
                    {
                        why = null;
                        return s_loaded;
                    }

                    tried.Add($"{full} ({source}): this process already loaded AscendCL from {s_loaded.RuntimePath}; one runtime per process");
                    continue;
                }

                if (!NativeLibrary.TryLoad(full, out nint rt))
                {
                    tried.Add($"{full} ({source}): found but could not be loaded (a missing dependency such as libruntime.so? source set_env.sh)");
                    continue;
                }

                nint nnop = 0, opapi = 0;
                string? opsMissing = null;
                string nnopPath = Path.Combine(folder, "libnnopbase.so"), opapiPath = Path.Combine(folder, "libopapi.so");
                if (!File.Exists(nnopPath) || !NativeLibrary.TryLoad(nnopPath, out nnop))
                {
                    opsMissing = $"{nnopPath} not found or not loadable";
                }
                else if (!File.Exists(opapiPath) || !NativeLibrary.TryLoad(opapiPath, out opapi))
                {
                    opsMissing = $"{opapiPath} not found or not loadable";
                }

                string? identity = null;
                if (NativeLibrary.TryGetExport(rt, "aclsimIdentify", out nint identify))
                {
                    unsafe
                    {
                        identity = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged[Cdecl]<byte*>)identify)());
                    }
                }

                s_loaded = new Loaded(Path.GetFullPath(folder), full, rt, nnop, opapi, opsMissing) { SimulatorIdentity = identity };
                if (!s_resolverSet)
                {
                    NativeLibrary.SetDllImportResolver(typeof(CannLibrary).Assembly, Resolve);
                    s_resolverSet = true;
                }

                why = null;
                return s_loaded;
            }

            why = "the AscendCL runtime was not found; tried " + string.Join("; ", tried)
                + $". Install CANN and `source set_env.sh`, or set {PathVariable} to the folder holding libascendcl.so (native/cann/acl-sim for the stand-in).";
            return null;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        Loaded? l = s_loaded;
        return l is null ? 0 : name switch
        {
            Acl.Library => l.Runtime,
            Aclnn.Base => l.NnopBase,
            Aclnn.Ops => l.OpApi,
            _ => 0,
        };
    }
}
