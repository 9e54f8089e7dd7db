using System;
using System.Runtime.CompilerServices;
using System.Text;
using Silk.NET.OpenCL;

namespace Backends.OpenCL;

/// <summary>The loaded OpenCL API (Silk.NET, <c>libOpenCL.so.1</c>), the one status check, and typed info queries.</summary>
internal static unsafe class ClApi
{
    private static readonly Lazy<CL> Loaded = new(CL.GetApi);

    /// <summary>The API; throws when the ICD loader is missing (callers at probe time turn that into a reason).</summary>
    public static CL Api => Loaded.Value;

    /// <summary>Throws <see cref="OpenCLException"/> for any status other than CL_SUCCESS.</summary>
    public static void Check(int status, string device, [CallerArgumentExpression(nameof(status))] string call = "", string? nativeMessage = null)
    {
        if (status != ClConst.CL_SUCCESS)
        {
            throw new OpenCLException(status, Trim(call), device, nativeMessage);
        }
    }

    public static string DeviceString(nint device, uint param) =>
        InfoString((size, value, ret) => Api.GetDeviceInfo(device, (Silk.NET.OpenCL.DeviceInfo)param, size, value, ret));

    public static T DeviceValue<T>(nint device, uint param)
        where T : unmanaged
    {
        T value = default;
        Check(Api.GetDeviceInfo(device, (Silk.NET.OpenCL.DeviceInfo)param, (nuint)sizeof(T), &value, null), "probe");
        return value;
    }

    public static string PlatformString(nint platform, uint param) =>
        InfoString((size, value, ret) => Api.GetPlatformInfo(platform, (Silk.NET.OpenCL.PlatformInfo)param, size, value, ret));

    public static string Decode(byte[] bytes) => Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();

    /// <summary>The clGet*Info pattern for strings: ask the size, then the bytes.</summary>
    private static string InfoString(InfoQuery query)
    {
        nuint size;
        Check(query(0, null, &size), "probe");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            Check(query(size, p, null), "probe");
        }

        return Decode(bytes);
    }

    private static string Trim(string call)
    {
        // "Api.EnqueueNdrangeKernel(queue, ...)" → "clEnqueueNdrangeKernel(queue, ...)", shortened for messages.
        string c = call.Replace("ClApi.Api.", "cl", StringComparison.Ordinal).Replace("Api.", "cl", StringComparison.Ordinal);
        return c.Length > 160 ? c[..160] + "…" : c;
    }
}

/// <summary>One clGet*Info call with its object and parameter bound.</summary>
internal unsafe delegate int InfoQuery(nuint size, void* value, nuint* sizeReturned);
